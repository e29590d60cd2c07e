using System.Diagnostics;
using System.Globalization;

namespace MtlBatch.Inference.Benchmarks;

/// <summary>
/// Generates benchmark recordings with real tools: a two-voice espeak-ng conversation (with pauses) looped to the wanted
/// length with ffmpeg and encoded as 32 kbit/s mp3, so the benchmark measures real compressed-audio decoding too.
/// Files are cached in the work folder by length.
/// </summary>
internal sealed class BenchmarkInputs(string workFolder)
{
    private static readonly (string Voice, string Text)[] Lines =
    [
        ("en-us+m3", "good morning, thank you for calling. my name is alex, how can i help you today?"),
        ("en-us+f4", "hi, i ordered a new router two weeks ago and it still has not arrived."),
        ("en-us+m3", "i am sorry about that. could you give me your order number please?"),
        ("en-us+f4", "yes, it is four five seven, two one nine. i really need it for work."),
        ("en-us+m3", "thank you. i can see the parcel was held at the depot. i will send it out again today."),
        ("en-us+f4", "that is great news, thank you so much for your help."),
    ];

    public async Task<string> GetAsync(double minutes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workFolder);
        var target = Path.Combine(workFolder, $"bench-{minutes.ToString("0.###", CultureInfo.InvariantCulture)}min.mp3");
        if (File.Exists(target)) return target;

        var loop = Path.Combine(workFolder, "conversation-loop.wav");
        if (!File.Exists(loop))
        {
            var parts = new List<string>();
            for (var i = 0; i < Lines.Length; i++)
            {
                var wav = Path.Combine(workFolder, $"line{i}.wav");
                await RunAsync("espeak-ng", ["-v", Lines[i].Voice, "-s", "165", "-w", wav, Lines[i].Text], cancellationToken).ConfigureAwait(false);
                parts.Add(wav);
            }
            var silence = Path.Combine(workFolder, "pause.wav");
            await RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "0.7", silence], cancellationToken).ConfigureAwait(false);
            var list = Path.Combine(workFolder, "loop.txt");
            await File.WriteAllLinesAsync(list, parts.SelectMany(p => new[] { $"file '{p}'", $"file '{silence}'" }), cancellationToken).ConfigureAwait(false);
            await RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-ar", "22050", "-ac", "1", loop], cancellationToken).ConfigureAwait(false);
        }

        var seconds = (minutes * 60).ToString("0.###", CultureInfo.InvariantCulture);
        var temp = target + ".tmp.mp3";
        await RunAsync("ffmpeg", ["-v", "error", "-y", "-stream_loop", "-1", "-i", loop, "-t", seconds, "-c:a", "libmp3lame", "-b:a", "32k", temp], cancellationToken).ConfigureAwait(false);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    internal static async Task RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {tool}.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
    }
}
