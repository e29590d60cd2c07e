using MtlBatch.Audio;
using System.Globalization;
using System.Security;

namespace MtlBatch.Corpus;

/// <summary>Channel effects applied inside the synthesis sox chain (before noise is added).</summary>
public sealed record ChannelEffects(double? ReverbPercent = null, double RoomScale = 50, bool Telephone = false);

/// <summary>
/// Renders one sentence with one identity and one emotion to clean 16 kHz mono samples: engine synthesis, then one
/// sox chain for identity (vocal tract, pitch, rate), emotion prosody (relative to the identity's neutral baseline),
/// optional reverb and telephone band. Engines: espeak-ng, flite, festival, MBROLA (through espeak-ng), SVOX Pico, RHVoice.
/// </summary>
public sealed class Synthesizer(ProcessRunner runner, string workFolder)
{
    public const int SampleRate = 16000;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public async Task<float[]> SynthesizeAsync(string text, SpeakerIdentity speaker, EmotionProsody prosody, ChannelEffects channel, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var raw = Path.Combine(workFolder, id + ".raw.wav");
        var clean = Path.Combine(workFolder, id + ".wav");
        try
        {
            await RenderEngineAsync(text, speaker, prosody, raw, cancellationToken).ConfigureAwait(false);
            var effects = new List<string> { "remix", "-", "norm", "-3", "speed", F(speaker.VocalTract),
                "tempo", "-s", F(speaker.Rate * prosody.Tempo / speaker.VocalTract), "pitch", F(speaker.PitchCents + prosody.PitchCents) };
            if (prosody.Effort > 0.5) effects.AddRange(["overdrive", F(prosody.Effort), "20"]);
            if (channel.ReverbPercent is { } reverb) effects.AddRange(["reverb", F(reverb), "50", F(channel.RoomScale)]);
            if (channel.Telephone) effects.AddRange(["sinc", "300-3400", "rate", "8000"]);
            effects.AddRange(["rate", SampleRate.ToString(Inv), "norm", "-3"]);
            await runner.RunAsync("sox", [raw, "-b", "16", "-e", "signed-integer", clean, .. effects], cancellationToken).ConfigureAwait(false);
            var (samples, rate, _) = WavReader.ReadAll(clean);
            if (rate != SampleRate) throw new InvalidDataException($"sox produced {rate} Hz, expected {SampleRate}.");
            var gain = MathF.Pow(10, (float)prosody.GainDb / 20f);
            for (var i = 0; i < samples.Length; i++) samples[i] *= gain;
            return samples;
        }
        finally
        {
            File.Delete(raw);
            File.Delete(clean);
        }
    }

    private Task RenderEngineAsync(string text, SpeakerIdentity speaker, EmotionProsody prosody, string output, CancellationToken ct) => speaker.Engine switch
    {
        // Pitch range exists only in espeak-ng and its MBROLA voices (SSML prosody range); the other engines get level,
        // rate and loudness through the sox chain.
        SynthesisEngine.Espeak or SynthesisEngine.Mbrola => runner.RunAsync("espeak-ng", ["-m", "-v", speaker.Voice, "-p", speaker.EspeakPitch.ToString(Inv), "-w", output,
            $"<speak><prosody range=\"{F(prosody.RangePercent)}%\">{SecurityElement.Escape(text)}</prosody></speak>"], ct),
        SynthesisEngine.Flite => runner.RunAsync("flite", ["-voice", speaker.Voice, "-t", text, "-o", output], ct),
        SynthesisEngine.Festival => runner.RunAsync("text2wave", ["-eval", $"({speaker.Voice})", "-o", output], ct, standardInput: text),
        // pico2wave insists on an output name ending in .wav (the raw file's name does).
        SynthesisEngine.Pico => runner.RunAsync("pico2wave", ["-l", speaker.Voice, "-w", output, text], ct),
        SynthesisEngine.RHVoice => runner.RunAsync("RHVoice-test", ["-p", speaker.Voice, "-o", output], ct, standardInput: text),
        _ => throw new ArgumentOutOfRangeException(nameof(speaker), speaker.Engine, "unknown engine"),
    };

    /// <summary>
    /// The Debian packages an engine voice needs, each with a file whose absence shows it is missing (the dev bootstrap
    /// installs them all; tests name the missing package rather than skip).
    /// </summary>
    public static IReadOnlyList<(string Package, string Probe)> RequiredPackages(SynthesisEngine engine, string voice) => engine switch
    {
        SynthesisEngine.Espeak => [("espeak-ng", "/usr/bin/espeak-ng")],
        SynthesisEngine.Flite => [("flite", "/usr/bin/flite")],
        SynthesisEngine.Festival => [("festival", "/usr/bin/text2wave")],
        SynthesisEngine.Mbrola => [("espeak-ng", "/usr/bin/espeak-ng"), ("mbrola", "/usr/bin/mbrola"), ("mbrola-" + voice[3..], $"/usr/share/mbrola/{voice[3..]}/{voice[3..]}")],
        SynthesisEngine.Pico => [("libttspico-utils", "/usr/bin/pico2wave")],
        SynthesisEngine.RHVoice => [("rhvoice", "/usr/bin/RHVoice-test"), ("rhvoice-english", $"/usr/share/RHVoice/voices/{voice}")],
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "unknown engine"),
    };

    private static string F(double v) => v.ToString("0.###", Inv);
}
