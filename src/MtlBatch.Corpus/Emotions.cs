namespace MtlBatch.Corpus;

/// <summary>
/// Emotions rendered through prosody relative to the speaker's own neutral baseline: speaking rate, pitch level,
/// pitch range (espeak-ng and MBROLA only, through SSML), loudness and, for anger, vocal effort (mild overdrive).
/// Every utterance draws its own jitter so the classes overlap the way real speech does. The rules are in
/// docs/corpus-v2.md.
/// </summary>
/// <param name="Tempo">Factor on the speaker's own rate.</param>
/// <param name="PitchCents">Offset from the speaker's own pitch level.</param>
/// <param name="RangePercent">Absolute pitch range (the speaker's neutral range times the emotion's factor).</param>
/// <param name="GainDb">Absolute loudness offset (the speaker's neutral loudness plus the emotion's).</param>
public sealed record EmotionProsody(string Label, double Tempo, double PitchCents, double RangePercent, double GainDb, double Effort);

public static class Emotions
{
    public static readonly IReadOnlyList<string> Labels = ["neutral", "happy", "sad", "angry"];

    /// <summary>An emotion for the population-average speaker.</summary>
    public static EmotionProsody Sample(string label, Random random) => Sample(label, random, NeutralBaseline.Average);

    /// <summary>
    /// An emotion for one speaker: the emotion's deviation from neutral (tempo factor, pitch offset, range factor,
    /// loudness offset, effort) is scaled by the speaker's expressiveness and applied to the speaker's neutral
    /// range and loudness. Neutral is the baseline itself plus a small jitter.
    /// </summary>
    public static EmotionProsody Sample(string label, Random random, NeutralBaseline baseline)
    {
        double J(double spread) => (random.NextDouble() * 2 - 1) * spread;
        var (tempo, pitch, range, gain, effort) = label switch
        {
            "neutral" => (1.0, 0.0, 1.0, 0.0, 0.0),
            "happy" => (1.10, 260.0, 1.60, 2.0, 0.0),
            "sad" => (0.82, -220.0, 0.55, -5.0, 0.0),
            "angry" => (1.07, 120.0, 1.30, 6.0, 6.0),
            _ => throw new ArgumentOutOfRangeException(nameof(label), label, "unknown emotion"),
        };
        var e = baseline.Expressiveness;
        var emotional = label != "neutral";
        return new EmotionProsody(label,
            Tempo: Math.Pow(tempo, e) + J(0.06),
            PitchCents: pitch * e + J(emotional ? 100 : 80),
            RangePercent: baseline.RangePercent * Math.Pow(range, e) * (1 + J(emotional ? 0.2 : 0.15)),
            GainDb: baseline.GainDb + gain * e + J(2),
            Effort: effort > 0 ? Math.Max(0, effort * e + J(4)) : 0);
    }
}
