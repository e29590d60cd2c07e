using MtlBatch.Audio;
namespace MtlBatch.Corpus;

/// <summary>A telephone channel: codec (<see cref="Augmenter.TelephoneCodecs"/>), packet loss and handset AGC.</summary>
public sealed record TelephoneProfile(string Codec, double LossRate = 0, double LossBurst = 0.3, bool Agc = false)
{
    /// <summary>The manifest's augmentation tags for this channel.</summary>
    public IEnumerable<string> Tags()
    {
        yield return "telephone:" + Codec;
        if (LossRate > 0) yield return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"loss:{LossRate * 100:0.#}%");
        if (Agc) yield return "agc";
    }
}

/// <summary>
/// Additive noise (white, pink, brown, mains hum, babble), gain and clipping on 16 kHz samples, plus
/// low-bitrate codec round trips and telephone channels (G.711, GSM, G.726, narrow-band Opus, loss, AGC) through ffmpeg. Everything draws from the caller's <see cref="Random"/> so a corpus
/// is reproducible for a seed.
/// </summary>
public sealed class Augmenter(ProcessRunner runner, string workFolder)
{
    public static readonly string[] NoiseKinds = ["white", "pink", "brown", "hum", "babble"];

    /// <summary>Adds noise of <paramref name="kind"/> at <paramref name="snrDb"/> relative to the speech power.</summary>
    public static void AddNoise(float[] samples, IReadOnlyList<(double Start, double End)> speech, string kind, double snrDb, Random random, IReadOnlyList<float[]> babblePool)
    {
        var noise = Generate(kind, samples.Length, random, babblePool);
        var speechPower = Power(samples, speech);
        var noisePower = noise.Length == 0 ? 0 : noise.Sum(x => (double)x * x) / noise.Length;
        if (speechPower <= 0 || noisePower <= 0) return;
        var scale = (float)Math.Sqrt(speechPower / (noisePower * Math.Pow(10, snrDb / 10)));
        for (var i = 0; i < samples.Length; i++) samples[i] += noise[i] * scale;
    }

    public static float[] Generate(string kind, int length, Random random, IReadOnlyList<float[]> babblePool)
    {
        var n = new float[length];
        switch (kind)
        {
            case "white":
                for (var i = 0; i < length; i++) n[i] = Gaussian(random);
                break;
            case "pink":
                // Paul Kellet's economy pink filter over white noise.
                double b0 = 0, b1 = 0, b2 = 0;
                for (var i = 0; i < length; i++)
                {
                    var w = Gaussian(random);
                    b0 = 0.99765 * b0 + w * 0.0990460; b1 = 0.96300 * b1 + w * 0.2965164; b2 = 0.57000 * b2 + w * 1.0526913;
                    n[i] = (float)(b0 + b1 + b2 + w * 0.1848);
                }
                break;
            case "brown":
                double acc = 0;
                for (var i = 0; i < length; i++) { acc = 0.998 * acc + Gaussian(random) * 0.05; n[i] = (float)acc; }
                break;
            case "hum":
                var f0 = random.Next(2) == 0 ? 50.0 : 60.0;
                var phase = random.NextDouble() * Math.PI * 2;
                for (var i = 0; i < length; i++)
                {
                    var t = i / (double)Synthesizer.SampleRate;
                    n[i] = (float)(Math.Sin(2 * Math.PI * f0 * t + phase) + 0.5 * Math.Sin(4 * Math.PI * f0 * t) + 0.3 * Math.Sin(6 * Math.PI * f0 * t)
                        + 0.05 * Gaussian(random));
                }
                break;
            case "babble":
                if (babblePool.Count == 0) goto case "pink";
                for (var k = 0; k < 4; k++)
                {
                    var src = babblePool[random.Next(babblePool.Count)];
                    var offset = random.Next(src.Length);
                    for (var i = 0; i < length; i++) n[i] += src[(offset + i) % src.Length];
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown noise kind");
        }
        return n;
    }

    /// <summary>Writes 16 kHz mono 16-bit PCM (the corpus format).</summary>
    public static void WriteWav(string path, ReadOnlySpan<float> samples)
    {
        using var writer = WavWriter.Create(path, Synthesizer.SampleRate);
        writer.Write(samples);
    }

    /// <summary>Applies a gain in dB, then hard-clips at full scale (clipping happens when the gain pushes peaks over 1).</summary>
    public static void GainAndClip(float[] samples, double gainDb)
    {
        var g = (float)Math.Pow(10, gainDb / 20);
        for (var i = 0; i < samples.Length; i++) samples[i] = Math.Clamp(samples[i] * g, -1f, 1f);
    }

    public static float Peak(ReadOnlySpan<float> samples)
    {
        float p = 0;
        foreach (var s in samples) p = Math.Max(p, Math.Abs(s));
        return p;
    }

    /// <summary>Encodes with a low-bitrate codec (mp3 or opus) and decodes back to 16 kHz mono.</summary>
    public Task<float[]> CodecRoundTripAsync(float[] samples, string codec, CancellationToken cancellationToken) => codec switch
    {
        "mp3" => RoundTripAsync(samples, [], ["-c:a", "libmp3lame", "-b:a", "24k"], ".mp3", cancellationToken),
        "opus" => RoundTripAsync(samples, [], ["-c:a", "libopus", "-b:a", "10k"], ".ogg", cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown codec"),
    };

    /// <summary>
    /// Telephone codecs, all at 8 kHz: G.711 mu-law and A-law, GSM 06.10 full rate (13 kbit/s), G.726 ADPCM at
    /// 24 kbit/s and narrow-band Opus at 8 kbit/s (Debian's ffmpeg 5.1 has no AMR encoder).
    /// </summary>
    public static readonly string[] TelephoneCodecs = ["ulaw", "alaw", "gsm", "g726", "opus-nb"];

    /// <summary>
    /// A telephone channel: handset AGC/compression (optional), 300-3400 Hz band limit at 8 kHz through
    /// <paramref name="profile"/>'s codec, back to 16 kHz, then packet-loss dropouts. Keeps the length and timeline.
    /// </summary>
    public async Task<float[]> TelephoneAsync(float[] samples, TelephoneProfile profile, Random random, CancellationToken cancellationToken)
    {
        var input = profile.Agc ? Compress(samples) : samples;
        string[] encode = profile.Codec switch
        {
            "ulaw" => ["-c:a", "pcm_mulaw"],
            "alaw" => ["-c:a", "pcm_alaw"],
            "gsm" => ["-c:a", "libgsm"],
            "g726" => ["-c:a", "g726", "-b:a", "24k"],
            "opus-nb" => ["-c:a", "libopus", "-b:a", "8k", "-application", "voip"],
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile.Codec, "unknown telephone codec"),
        };
        var extension = profile.Codec switch { "gsm" => ".gsm", "opus-nb" => ".ogg", _ => ".wav" };
        var output = await RoundTripAsync(input, ["-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000", "-ac", "1"], encode, extension, cancellationToken).ConfigureAwait(false);
        if (profile.LossRate > 0) DropPackets(output, profile.LossRate, profile.LossBurst, random);
        return output;
    }

    /// <summary>Draws a telephone profile: codec, loss (none in about half the calls) and AGC.</summary>
    public static TelephoneProfile SampleTelephone(Random random) => new(
        Codec: TelephoneCodecs[random.Next(TelephoneCodecs.Length)],
        LossRate: random.NextDouble() < 0.5 ? 0 : Math.Round(0.005 + random.NextDouble() * 0.045, 3),
        LossBurst: Math.Round(0.2 + random.NextDouble() * 0.5, 2),
        Agc: random.NextDouble() < 0.6);

    /// <summary>
    /// Packet loss in 20 ms frames with a two-state (Gilbert) model: a frame is lost with probability
    /// <paramref name="lossRate"/> on average; after a loss the next one is lost with probability <paramref name="burst"/>.
    /// Lost frames are silenced with 2 ms fades, as a receiver without concealment plays them.
    /// </summary>
    public static int DropPackets(float[] samples, double lossRate, double burst, Random random)
    {
        const int frame = Synthesizer.SampleRate / 50, fade = Synthesizer.SampleRate / 500;
        // Stationary loss rate p = enter / (enter + 1 - burst).
        var enter = Math.Min(1, lossRate * (1 - burst) / Math.Max(1e-6, 1 - lossRate));
        var lost = false; var count = 0;
        for (var start = 0; start < samples.Length; start += frame)
        {
            lost = random.NextDouble() < (lost ? burst : enter);
            if (!lost) continue;
            count++;
            var end = Math.Min(samples.Length, start + frame);
            for (var i = start; i < end; i++)
            {
                var edge = Math.Min(i - start, end - 1 - i);
                samples[i] *= edge < fade ? 1 - (edge + 1) / (float)(fade + 1) : 0;
            }
        }
        return count;
    }

    /// <summary>
    /// Handset AGC and compression: a 10 ms peak envelope with 5 ms attack and 150 ms release, gain towards -12 dBFS
    /// above a -45 dBFS gate with a 3:1 ratio, at most +18 dB.
    /// </summary>
    public static float[] Compress(ReadOnlySpan<float> samples)
    {
        var result = new float[samples.Length];
        double attack = Math.Exp(-1.0 / (0.005 * Synthesizer.SampleRate)), release = Math.Exp(-1.0 / (0.150 * Synthesizer.SampleRate));
        double envelope = 0, target = Math.Pow(10, -12 / 20.0), gate = Math.Pow(10, -45 / 20.0), maxGain = Math.Pow(10, 18 / 20.0), gain = 1;
        for (var i = 0; i < samples.Length; i++)
        {
            var level = Math.Abs(samples[i]);
            envelope = level > envelope ? attack * envelope + (1 - attack) * level : release * envelope + (1 - release) * level;
            if (envelope > gate)
            {
                // 3:1 above the target, full make-up below it (limited).
                var ratio = envelope > target ? Math.Pow(target / envelope, 2.0 / 3) : Math.Min(maxGain, Math.Pow(target / envelope, 2.0 / 3));
                gain = 0.999 * gain + 0.001 * ratio;
            }
            result[i] = (float)Math.Clamp(samples[i] * gain, -1, 1);
        }
        return result;
    }

    /// <summary>
    /// ffmpeg encode (with <paramref name="preEncode"/> filters/rates) and decode back to 16 kHz mono, realigned to the
    /// input so the labels keep their times.
    /// </summary>
    private async Task<float[]> RoundTripAsync(float[] samples, string[] preEncode, string[] encode, string extension, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var input = Path.Combine(workFolder, id + ".in.wav");
        var encoded = Path.Combine(workFolder, id + ".enc" + extension);
        var output = Path.Combine(workFolder, id + ".out.wav");
        try
        {
            WriteWav(input, samples);
            await runner.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", input, .. preEncode, .. encode, encoded], cancellationToken).ConfigureAwait(false);
            await runner.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", encoded, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", output], cancellationToken).ConfigureAwait(false);
            var (decoded, _, _) = WavReader.ReadAll(output);
            // Codecs add priming delay and padding; keep the timeline (and so the labels) aligned with the input.
            var aligned = new float[samples.Length];
            var delay = EstimateDelay(samples, decoded);
            for (var i = 0; i < aligned.Length; i++)
            {
                var j = i + delay;
                aligned[i] = j >= 0 && j < decoded.Length ? decoded[j] : 0f;
            }
            return aligned;
        }
        finally
        {
            File.Delete(input); File.Delete(encoded); File.Delete(output);
        }
    }

    /// <summary>Lag (in samples, 0..2000) that best aligns <paramref name="decoded"/> to <paramref name="original"/>.</summary>
    private static int EstimateDelay(float[] original, float[] decoded)
    {
        var best = 0; var bestScore = double.MinValue;
        var n = Math.Min(original.Length, 32000);
        for (var lag = 0; lag <= 2000; lag += 4)
        {
            double score = 0;
            for (var i = 0; i < n; i += 2)
            {
                var j = i + lag;
                if (j >= decoded.Length) break;
                score += original[i] * decoded[j];
            }
            if (score > bestScore) { bestScore = score; best = lag; }
        }
        return best;
    }

    private static double Power(float[] samples, IReadOnlyList<(double Start, double End)> speech)
    {
        double sum = 0; long count = 0;
        foreach (var (start, end) in speech)
        {
            var a = Math.Max(0, (int)(start * Synthesizer.SampleRate));
            var b = Math.Min(samples.Length, (int)(end * Synthesizer.SampleRate));
            for (var i = a; i < b; i++) { sum += samples[i] * (double)samples[i]; count++; }
        }
        return count == 0 ? 0 : sum / count;
    }

    private static float Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}

/// <summary>Speech intervals of a clean synthetic signal, from its short-time energy.</summary>
public static class EnergyVad
{
    public static List<(double Start, double End)> Detect(ReadOnlySpan<float> samples, int sampleRate = Synthesizer.SampleRate,
        double thresholdDb = -40, double minGapSeconds = 0.2)
    {
        var frame = sampleRate / 100;
        var frames = samples.Length / frame;
        var energies = new double[frames];
        double max = 1e-12;
        for (var f = 0; f < frames; f++)
        {
            double e = 0;
            for (var i = f * frame; i < (f + 1) * frame; i++) e += samples[i] * (double)samples[i];
            energies[f] = e / frame;
            max = Math.Max(max, energies[f]);
        }
        var threshold = max * Math.Pow(10, thresholdDb / 10);
        var result = new List<(double Start, double End)>();
        int? start = null;
        for (var f = 0; f <= frames; f++)
        {
            var active = f < frames && energies[f] > threshold;
            if (active && start is null) start = f;
            else if (!active && start is { } s)
            {
                double a = s * 0.01, b = f * 0.01;
                if (result.Count > 0 && a - result[^1].End < minGapSeconds) result[^1] = (result[^1].Start, b);
                else result.Add((a, b));
                start = null;
            }
        }
        // Drop clicks shorter than 50 ms.
        result.RemoveAll(r => r.End - r.Start < 0.05);
        return result;
    }
}
