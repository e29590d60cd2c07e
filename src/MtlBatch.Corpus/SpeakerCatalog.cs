namespace MtlBatch.Corpus;

public enum SynthesisEngine { Espeak, Flite, Festival }

/// <summary>
/// One synthetic speaker identity: an engine voice plus a fixed perturbation (vocal-tract length through a speed
/// change undone by tempo, pitch offset, speaking rate). Identities are stable for a seed.
/// </summary>
public sealed record SpeakerIdentity(
    string Id, SynthesisEngine Engine, string Voice, double VocalTract, double PitchCents, double Rate, int EspeakPitch, bool HeldOut)
{
    public string Describe() => $"{Engine.ToString().ToLowerInvariant()}:{Voice}";
}

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
    /// Builds the identity list: <paramref name="espeakCount"/> espeak-ng identities, two per flite voice, two per festival
    /// voice. Every fifth identity of each engine is held out for testing (never trained on).
    /// </summary>
    public static IReadOnlyList<SpeakerIdentity> Build(int seed, int espeakCount = 70)
    {
        var random = new Random(seed);
        var list = new List<(SynthesisEngine Engine, string Voice)>();
        for (var i = 0; i < espeakCount; i++)
            list.Add((SynthesisEngine.Espeak, $"{EspeakAccents[i % EspeakAccents.Length]}+{EspeakVariants[i % EspeakVariants.Length]}"));
        foreach (var v in FliteVoices) { list.Add((SynthesisEngine.Flite, v)); list.Add((SynthesisEngine.Flite, v)); }
        foreach (var v in FestivalVoices) { list.Add((SynthesisEngine.Festival, v)); list.Add((SynthesisEngine.Festival, v)); }

        var result = new List<SpeakerIdentity>(list.Count);
        var perEngine = new Dictionary<SynthesisEngine, int>();
        for (var i = 0; i < list.Count; i++)
        {
            var (engine, voice) = list[i];
            var n = perEngine.GetValueOrDefault(engine);
            perEngine[engine] = n + 1;
            // Repeated engine voices get clearly different perturbations so they are distinct identities.
            var twin = engine != SynthesisEngine.Espeak && n % 2 == 1;
            var vtl = twin ? (random.Next(2) == 0 ? 0.88 : 1.12) + (random.NextDouble() - 0.5) * 0.04 : 0.94 + random.NextDouble() * 0.12;
            result.Add(new SpeakerIdentity(
                Id: $"spk{i:D3}",
                Engine: engine,
                Voice: voice,
                VocalTract: Math.Round(vtl, 3),
                PitchCents: Math.Round((random.NextDouble() - 0.5) * 400),
                Rate: Math.Round(0.9 + random.NextDouble() * 0.2, 3),
                EspeakPitch: 35 + random.Next(31),
                HeldOut: n % 5 == 2));
        }
        return result;
    }
}
