using System.Globalization;
using System.Text.Json;

namespace MtlBatch.Corpus.Tests;

/// <summary>Small real-data-shaped corpus folders synthesised for the evaluation tests (espeak-ng + sox, both in the dev profile).</summary>
internal static class SpeechClips
{
    private static readonly ProcessRunner Runner = new();

    /// <summary>Writes a 16 kHz mono 16-bit clip of <paramref name="text"/> (or of silence when null) and returns its duration.</summary>
    public static async Task<double> SynthesizeAsync(string path, string? text, string voice = "en-us", double silenceSeconds = 1.0)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var raw = path + ".raw.wav";
        if (text is null)
            await Runner.RunAsync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", path, "trim", "0", silenceSeconds.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
        else
        {
            await Runner.RunAsync("espeak-ng", ["-v", voice, "-w", raw, text], CancellationToken.None);
            await Runner.RunAsync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", path], CancellationToken.None);
            File.Delete(raw);
        }
        return Duration(path);
    }

    /// <summary>Joins clips with 0.4 s of silence between them into one conversation file; returns each clip's (start, end).</summary>
    public static async Task<IReadOnlyList<(double Start, double End)>> ConcatenateAsync(string path, IReadOnlyList<string> clips)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var gap = path + ".gap.wav";
        await Runner.RunAsync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", gap, "trim", "0", "0.4"], CancellationToken.None);
        var parts = new List<string>();
        var spans = new List<(double, double)>();
        var t = 0.0;
        foreach (var clip in clips)
        {
            parts.Add(gap);
            t += 0.4;
            parts.Add(clip);
            var d = Duration(clip);
            spans.Add((t, t + d));
            t += d;
        }
        await Runner.RunAsync("sox", [.. parts, path], CancellationToken.None);
        File.Delete(gap);
        return spans;
    }

    public static double Duration(string wav)
    {
        var (samples, rate, _) = MtlBatch.Audio.WavReader.ReadAll(wav);
        return samples.Length / (double)rate;
    }

    public static async Task WriteManifestAsync(string path, IEnumerable<object> lines) =>
        await File.WriteAllLinesAsync(path, lines.Select(l => JsonSerializer.Serialize(l)));
}
