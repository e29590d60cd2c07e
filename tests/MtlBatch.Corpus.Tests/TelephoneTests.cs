using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

/// <summary>The telephone channel through the real ffmpeg codecs: length kept, band limited, loss and AGC as described.</summary>
public class TelephoneTests
{
    private static float[] Noise(int seconds, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, seconds * Synthesizer.SampleRate).Select(_ => (float)(r.NextDouble() * 2 - 1) * 0.3f)];
    }

    /// <summary>Share of the signal's power above <paramref name="hz"/>, from 256-point DFTs over the middle of the signal.</summary>
    private static double ShareAbove(float[] x, double hz)
    {
        const int n = 256;
        double above = 0, total = 0;
        for (var start = x.Length / 4; start + n <= x.Length * 3 / 4; start += n * 8)
        {
            for (var k = 1; k < n / 2; k++)
            {
                double re = 0, im = 0;
                for (var i = 0; i < n; i++)
                {
                    var w = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n);
                    re += x[start + i] * w * Math.Cos(2 * Math.PI * k * i / n);
                    im -= x[start + i] * w * Math.Sin(2 * Math.PI * k * i / n);
                }
                var p = re * re + im * im;
                total += p;
                if (k * Synthesizer.SampleRate / (double)n > hz) above += p;
            }
        }
        return above / total;
    }

    [Theory]
    [InlineData("ulaw")]
    [InlineData("alaw")]
    [InlineData("gsm")]
    [InlineData("g726")]
    [InlineData("opus-nb")]
    public async Task Codec_round_trip_keeps_the_length_and_limits_the_band(string codec)
    {
        Assert.Contains(codec, Augmenter.TelephoneCodecs);
        var work = Directory.CreateTempSubdirectory("mtlbatch-phone-").FullName;
        try
        {
            var input = Noise(2, 3);
            Assert.True(ShareAbove(input, 4000) > 0.4);
            var output = await new Augmenter(new ProcessRunner(), work).TelephoneAsync(input, new TelephoneProfile(codec), new Random(1), CancellationToken.None);
            Assert.Equal(input.Length, output.Length);
            Assert.True(ShareAbove(output, 4000) < 0.02, $"{codec}: {ShareAbove(output, 4000):P1} of the power above 4 kHz");
            Assert.True(output.Sum(v => (double)v * v) / output.Length > 1e-4, $"{codec} returned silence");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Packet_loss_silences_about_the_requested_share_of_20_ms_frames()
    {
        var x = Enumerable.Repeat(0.5f, 60 * Synthesizer.SampleRate).ToArray();
        var lost = Augmenter.DropPackets(x, lossRate: 0.05, burst: 0.4, new Random(2));
        Assert.InRange(lost / 3000.0, 0.035, 0.065);
        var silentFrames = Enumerable.Range(0, 3000).Count(f => x[f * 320 + 160] == 0f);
        Assert.Equal(lost, silentFrames);
    }

    [Fact]
    public void Agc_brings_quiet_and_loud_speech_towards_the_same_level()
    {
        static double Rms(float[] x) => Math.Sqrt(x.Skip(x.Length / 2).Average(v => (double)v * v));
        float[] Tone(float amplitude) => [.. Enumerable.Range(0, 2 * Synthesizer.SampleRate).Select(i => amplitude * (float)Math.Sin(2 * Math.PI * 220 * i / Synthesizer.SampleRate))];
        var quiet = Rms(Augmenter.Compress(Tone(0.02f)));
        var loud = Rms(Augmenter.Compress(Tone(0.9f)));
        Assert.True(quiet > Rms(Tone(0.02f)) * 3, $"quiet tone only reached {quiet:F4}");
        Assert.True(loud < Rms(Tone(0.9f)) * 0.7, $"loud tone still at {loud:F4}");
        Assert.True(loud / quiet < 45 / 3.0, $"loud/quiet {loud / quiet:F1} (input ratio 45)");
    }
}
