using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

/// <summary>Every engine voice really synthesises, and the identity catalog holds out what it promises.</summary>
public class VoiceTests
{
    public static TheoryData<SynthesisEngine, string> BaseVoices()
    {
        var data = new TheoryData<SynthesisEngine, string>();
        foreach (var v in SpeakerCatalog.NaturalVoices) data.Add(v.Engine, v.Voice);
        data.Add(SynthesisEngine.Espeak, "en-us+m1");
        data.Add(SynthesisEngine.Flite, "kal");
        data.Add(SynthesisEngine.Festival, "voice_kal_diphone");
        return data;
    }

    [Theory]
    [MemberData(nameof(BaseVoices))]
    public async Task Every_engine_voice_produces_speech(SynthesisEngine engine, string voice)
    {
        foreach (var (package, probe) in Synthesizer.RequiredPackages(engine, voice))
            Assert.True(File.Exists(probe) || Directory.Exists(probe),
                $"{SpeakerIdentity.EngineName(engine)} voice '{voice}' needs the Debian package '{package}' ({probe} is missing): apt-get install -y {package}");
        var work = Directory.CreateTempSubdirectory("mtlbatch-voice-").FullName;
        try
        {
            var speaker = SpeakerCatalog.Build(seed: 1).First(s => s.Engine == engine && s.Voice == voice);
            var samples = await new Synthesizer(new ProcessRunner(), work).SynthesizeAsync("thank you for calling how can i help you today", speaker,
                Emotions.Sample("neutral", new Random(1), speaker.Neutral), new ChannelEffects(), CancellationToken.None);
            var seconds = samples.Length / (double)Synthesizer.SampleRate;
            Assert.InRange(seconds, 1.0, 8.0);
            var speech = EnergyVad.Detect(samples).Sum(v => v.End - v.Start);
            Assert.True(speech > 0.8, $"{speaker.Describe()}: only {speech:F2} s of speech in {seconds:F2} s");
            Assert.InRange(Augmenter.Peak(samples), 0.1f, 1.5f);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Catalog_has_enough_distinct_identities_with_held_out_ones_of_every_engine()
    {
        var speakers = SpeakerCatalog.Build(seed: 1);
        Assert.True(speakers.Count >= 250, $"only {speakers.Count} identities");
        Assert.Equal(speakers.Count, speakers.Select(s => s.Id).Distinct().Count());
        Assert.Equal(speakers.Count, speakers.Select(s => (s.Engine, s.Voice, s.VocalTract, s.PitchCents)).Distinct().Count());
        Assert.All(Enum.GetValues<SynthesisEngine>(), e =>
        {
            Assert.Contains(speakers, s => s.Engine == e && s.HeldOut);
            Assert.Contains(speakers, s => s.Engine == e && !s.HeldOut);
        });
    }

    [Fact]
    public void Held_out_base_voices_are_never_trained_on()
    {
        var speakers = SpeakerCatalog.Build(seed: 5);
        var heldVoices = SpeakerCatalog.NaturalVoices.Where(v => v.HeldOut).ToArray();
        Assert.True(heldVoices.Length >= 2);
        Assert.Contains(heldVoices, v => v.Engine == SynthesisEngine.RHVoice);
        Assert.Contains(heldVoices, v => v.Engine == SynthesisEngine.Mbrola);
        var train = speakers.Where(s => !s.HeldOut).ToArray();
        var test = speakers.Where(s => s.HeldOut).ToArray();
        Assert.Empty(train.Select(s => s.Id).Intersect(test.Select(s => s.Id)));
        foreach (var v in heldVoices)
        {
            Assert.DoesNotContain(train, s => s.Engine == v.Engine && s.Voice == v.Voice);
            Assert.Equal(v.Identities, test.Count(s => s.Engine == v.Engine && s.Voice == v.Voice));
        }
    }

    [Fact]
    public void Training_draws_favour_the_natural_engines()
    {
        var train = SpeakerCatalog.Build(seed: 2).Where(s => !s.HeldOut).ToArray();
        var random = new Random(9);
        var draws = Enumerable.Range(0, 20000).Select(_ => SpeakerCatalog.Draw(train, random).Engine).ToArray();
        double Share(params SynthesisEngine[] engines) => draws.Count(engines.Contains) / (double)draws.Length;
        Assert.InRange(Share(SynthesisEngine.RHVoice, SynthesisEngine.Mbrola, SynthesisEngine.Pico), 0.8, 0.88);
        Assert.InRange(Share(SynthesisEngine.Espeak), 0.04, 0.08);
        Assert.All(SpeakerCatalog.TrainingShare, kv => Assert.InRange(Share(kv.Key), kv.Value - 0.015, kv.Value + 0.015));
    }

    [Fact]
    public void Emotions_are_rendered_relative_to_the_speakers_own_neutral()
    {
        var calm = new NeutralBaseline(RangePercent: 80, GainDb: -2, Expressiveness: 0.6);
        var lively = new NeutralBaseline(RangePercent: 120, GainDb: 2, Expressiveness: 1.4);
        EmotionProsody Mean(string label, NeutralBaseline b)
        {
            var r = new Random(4);
            var xs = Enumerable.Range(0, 400).Select(_ => Emotions.Sample(label, r, b)).ToArray();
            return new(label, xs.Average(x => x.Tempo), xs.Average(x => x.PitchCents), xs.Average(x => x.RangePercent), xs.Average(x => x.GainDb), xs.Average(x => x.Effort));
        }
        foreach (var b in new[] { calm, lively })
        {
            var neutral = Mean("neutral", b);
            Assert.InRange(neutral.RangePercent, b.RangePercent * 0.95, b.RangePercent * 1.05);
            Assert.InRange(neutral.GainDb, b.GainDb - 0.3, b.GainDb + 0.3);
            Assert.True(Mean("happy", b).PitchCents > neutral.PitchCents + 100);
            Assert.True(Mean("sad", b).RangePercent < neutral.RangePercent);
            Assert.True(Mean("angry", b).GainDb > neutral.GainDb + 2);
        }
        // The lively speaker's happy voice rises further above their own neutral than the calm speaker's does.
        Assert.True(Mean("happy", lively).PitchCents - Mean("neutral", lively).PitchCents > 2 * (Mean("happy", calm).PitchCents - Mean("neutral", calm).PitchCents));
    }
}
