namespace MtlBatch.Corpus;

/// <summary>
/// Emotions rendered through prosody: speaking rate, pitch level, pitch range (espeak-ng only, through SSML),
/// loudness and, for anger, vocal effort (mild overdrive). Every utterance draws its own jitter so the classes
/// overlap the way real speech does.
/// </summary>
public sealed record EmotionProsody(string Label, double Tempo, double PitchCents, double RangePercent, double GainDb, double Effort);

public static class Emotions
{
    public static readonly IReadOnlyList<string> Labels = ["neutral", "happy", "sad", "angry"];

    public static EmotionProsody Sample(string label, Random random)
    {
        double J(double spread) => (random.NextDouble() * 2 - 1) * spread;
        return label switch
        {
            "neutral" => new(label, 1.0 + J(0.06), J(80), 100 + J(15), J(2), 0),
            "happy" => new(label, 1.10 + J(0.06), 260 + J(100), 160 + J(30), 2 + J(2), 0),
            "sad" => new(label, 0.82 + J(0.06), -220 + J(90), 55 + J(15), -5 + J(2), 0),
            "angry" => new(label, 1.07 + J(0.06), 120 + J(100), 130 + J(30), 6 + J(2), 6 + J(4)),
            _ => throw new ArgumentOutOfRangeException(nameof(label), label, "unknown emotion"),
        };
    }
}
