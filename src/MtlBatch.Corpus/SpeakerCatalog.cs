namespace MtlBatch.Corpus;

public enum SynthesisEngine { Espeak, Flite, Festival, Mbrola, Pico, RHVoice }

/// <summary>
/// A speaker's neutral prosody: everything an emotion is rendered relative to (docs/corpus-v2.md). Pitch level and
/// speaking rate live on <see cref="SpeakerIdentity"/>; these are the rest.
/// </summary>
/// <param name="RangePercent">Neutral pitch range (100 = the engine's own); some people are monotone, some lively.</param>
/// <param name="GainDb">Neutral loudness offset.</param>
/// <param name="Expressiveness">How strongly this speaker shows emotion: every emotional deviation is scaled by it.</param>
public sealed record NeutralBaseline(double RangePercent, double GainDb, double Expressiveness)
{
    /// <summary>The population-average speaker.</summary>
    public static readonly NeutralBaseline Average = new(100, 0, 1);
}

/// <summary>
/// One synthetic speaker identity: an engine voice plus a fixed perturbation (vocal-tract length through a speed
/// change undone by tempo, pitch offset, speaking rate) and a neutral prosody baseline. Identities are stable for a seed.
/// </summary>
/// <param name="Weight">Relative chance of being drawn for a training or validation utterance (natural engines weigh more).</param>
public sealed record SpeakerIdentity(
    string Id, SynthesisEngine Engine, string Voice, double VocalTract, double PitchCents, double Rate, int EspeakPitch, bool HeldOut,
    NeutralBaseline? Baseline = null, double Weight = 1)
{
    public NeutralBaseline Neutral => Baseline ?? NeutralBaseline.Average;

    public string Describe() => $"{EngineName(Engine)}:{Voice}";

    /// <summary>The engine's name as it appears in manifests (<c>engine</c> field).</summary>
    public static string EngineName(SynthesisEngine engine) => engine.ToString().ToLowerInvariant();
}

/// <summary>A voice an engine ships, turned into <see cref="Identities"/> identities by perturbation.</summary>
public sealed record BaseVoice(SynthesisEngine Engine, string Voice, int Identities, bool HeldOut = false);

public static class SpeakerCatalog
{
    private static readonly string[] EspeakAccents = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"];

    // Human-sounding espeak-ng variants (robotic, whisper and novelty variants are left out).
    private static readonly string[] EspeakVariants =
    [
        "m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m6", "m7", "m8", "adam", "Alicia", "Alex", "Andrea", "Andy",
        "Annie", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "david", "Denis", "Diogo", "ed", "edward", "edward2",
        "Gene", "Gene2", "gustave", "Henrique", "Hugo", "iven", "iven2", "iven3", "iven4", "Jacky", "john", "kaukovalta", "Lee",
        "linda", "marcelo", "Marco", "Mario", "max", "Michael", "michel", "miguel", "Mike", "Mr", "Nguyen", "pablo", "paul",
        "pedro", "quincy", "rob", "robert", "steph", "steph2", "steph3", "Storm", "anika", "grandpa", "grandma", "klatt",
        "klatt2", "klatt3", "klatt4", "norbert", "sandro", "shelby", "travis", "victor",
    ];

    private static readonly string[] FliteVoices = ["kal", "kal16", "awb", "rms", "slt"];
    private static readonly string[] FestivalVoices = ["voice_kal_diphone", "voice_ked_diphone", "voice_cmu_us_slt_arctic_hts"];

    /// <summary>
    /// The natural-sounding voices (docs/corpus-v2.md). Two whole base voices, RHVoice <c>clb</c> and MBROLA <c>mb-us3</c>,
    /// are held out: no identity made from them is ever trained on.
    /// </summary>
    public static readonly IReadOnlyList<BaseVoice> NaturalVoices =
    [
        new(SynthesisEngine.RHVoice, "slt", 18), new(SynthesisEngine.RHVoice, "bdl", 18), new(SynthesisEngine.RHVoice, "alan", 16),
        new(SynthesisEngine.RHVoice, "clb", 12, HeldOut: true), new(SynthesisEngine.RHVoice, "evgeniy-eng", 12),
        new(SynthesisEngine.RHVoice, "lyubov", 12),
        new(SynthesisEngine.Mbrola, "mb-en1", 20), new(SynthesisEngine.Mbrola, "mb-us1", 18), new(SynthesisEngine.Mbrola, "mb-us2", 18),
        new(SynthesisEngine.Mbrola, "mb-us3", 12, HeldOut: true),
        new(SynthesisEngine.Pico, "en-US", 26), new(SynthesisEngine.Pico, "en-GB", 22),
    ];

    /// <summary>
    /// Share of training utterances each engine gets. The natural engines take 84 %: espeak-ng's voices are far from
    /// real speech (docs/corpus-v2.md has the measurement), so they stay a minority for robustness only.
    /// </summary>
    public static readonly IReadOnlyDictionary<SynthesisEngine, double> TrainingShare = new Dictionary<SynthesisEngine, double>
    {
        [SynthesisEngine.RHVoice] = 0.36, [SynthesisEngine.Mbrola] = 0.28, [SynthesisEngine.Pico] = 0.20,
        [SynthesisEngine.Festival] = 0.06, [SynthesisEngine.Flite] = 0.04, [SynthesisEngine.Espeak] = 0.06,
    };

    /// <summary>
    /// Builds the identity list: <paramref name="espeakCount"/> espeak-ng identities, two per flite and festival voice,
    /// and the <see cref="NaturalVoices"/> identities. Every fifth identity of each engine is held out for testing, as is
    /// every identity of a held-out base voice. Training identities carry a <see cref="SpeakerIdentity.Weight"/> so that
    /// each engine's training utterances follow <see cref="TrainingShare"/>.
    /// </summary>
    public static IReadOnlyList<SpeakerIdentity> Build(int seed, int espeakCount = 70)
    {
        var random = new Random(seed);
        var list = new List<BaseVoice>();
        for (var i = 0; i < espeakCount; i++)
            list.Add(new(SynthesisEngine.Espeak, $"{EspeakAccents[i % EspeakAccents.Length]}+{EspeakVariants[i % EspeakVariants.Length]}", 1));
        list.AddRange(FliteVoices.Select(v => new BaseVoice(SynthesisEngine.Flite, v, 2)));
        list.AddRange(FestivalVoices.Select(v => new BaseVoice(SynthesisEngine.Festival, v, 2)));
        list.AddRange(NaturalVoices);

        var result = new List<SpeakerIdentity>();
        var perEngine = new Dictionary<SynthesisEngine, int>();
        foreach (var voice in list)
        {
            for (var k = 0; k < voice.Identities; k++)
            {
                var n = perEngine.GetValueOrDefault(voice.Engine);
                perEngine[voice.Engine] = n + 1;
                double vtl, pitch;
                if (voice.Identities == 1)
                {
                    vtl = 0.94 + random.NextDouble() * 0.12;
                    pitch = (random.NextDouble() - 0.5) * 400;
                }
                else
                {
                    // Stratified vocal-tract factors spread one base voice's identities over 0.86..1.14, with pitch
                    // following the tract (shorter tract, higher voice) plus an independent offset.
                    vtl = 0.86 + 0.28 * (k + 0.2 + random.NextDouble() * 0.6) / voice.Identities;
                    pitch = 1200 * Math.Log2(1 / vtl) * 0.6 + (random.NextDouble() - 0.5) * 300;
                }
                result.Add(new SpeakerIdentity(
                    Id: $"spk{result.Count:D3}",
                    Engine: voice.Engine,
                    Voice: voice.Voice,
                    VocalTract: Math.Round(vtl, 3),
                    PitchCents: Math.Round(pitch),
                    Rate: Math.Round(0.9 + random.NextDouble() * 0.2, 3),
                    EspeakPitch: 35 + random.Next(31),
                    HeldOut: voice.HeldOut || n % 5 == 2,
                    Baseline: new NeutralBaseline(
                        RangePercent: Math.Round(75 + random.NextDouble() * 50),
                        GainDb: Math.Round((random.NextDouble() - 0.5) * 6, 1),
                        Expressiveness: Math.Round(0.6 + random.NextDouble() * 0.8, 2))));
            }
        }
        var trainCounts = result.Where(s => !s.HeldOut).GroupBy(s => s.Engine).ToDictionary(g => g.Key, g => g.Count());
        return [.. result.Select(s => s.HeldOut ? s : s with { Weight = Math.Round(TrainingShare[s.Engine] / trainCounts[s.Engine], 6) })];
    }

    /// <summary>Draws an identity with probability proportional to its <see cref="SpeakerIdentity.Weight"/>.</summary>
    public static SpeakerIdentity Draw(IReadOnlyList<SpeakerIdentity> speakers, Random random)
    {
        var total = speakers.Sum(s => s.Weight);
        var x = random.NextDouble() * total;
        foreach (var s in speakers)
        {
            x -= s.Weight;
            if (x < 0) return s;
        }
        return speakers[^1];
    }
}
