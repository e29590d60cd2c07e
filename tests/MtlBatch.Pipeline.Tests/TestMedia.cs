using System.Diagnostics;
using System.IO.Compression;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Short spoken recordings made with espeak-ng and converted with the real ffmpeg, generated once per test run.
/// </summary>
public sealed class TestMedia
{
    private static readonly Lazy<TestMedia> s_shared = new(() => new TestMedia(), LazyThreadSafetyMode.ExecutionAndPublication);
    public static TestMedia Shared => s_shared.Value;

    private static readonly string[] Sentences =
    [
        "hello there, how can i help you today",
        "the weather is lovely this morning",
        "please call me back after lunch",
        "my order arrived late and it was broken",
        "thank you very much for your patience",
        "we will send the new parts tomorrow",
        "could you spell your last name please",
        "i would like to cancel my subscription",
        "that sounds great, see you on friday",
        "the meeting has moved to room four",
        "let me check that for you right away",
        "is there anything else i can do",
    ];

    private readonly Lock _gate = new();
    public string Folder { get; } = Directory.CreateTempSubdirectory("mtlbatch-pipeline-media-").FullName;

    /// <summary>A spoken sentence as 22.05 kHz mono WAV (espeak-ng's native output), ~2-3 s.</summary>
    public string Speech(int index)
    {
        var path = Path.Combine(Folder, $"speech{index}.wav");
        lock (_gate)
        {
            if (!File.Exists(path))
                Run("espeak-ng", "-v", index % 2 == 0 ? "en-us" : "en-us+f3", "-s", "170", "-w", path, Sentences[index % Sentences.Length]);
        }
        return path;
    }

    /// <summary>The sentence converted by ffmpeg into another container/codec (extension: mp3, m4a, flac, ogg, wav).</summary>
    public string Speech(int index, string extension)
    {
        var source = Speech(index);
        if (extension == "wav") return source;
        var path = Path.Combine(Folder, $"speech{index}.{extension}");
        lock (_gate)
        {
            if (!File.Exists(path))
            {
                var codec = extension switch { "m4a" => new[] { "-c:a", "aac" }, "ogg" => ["-c:a", "libvorbis"], _ => [] };
                Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", source, .. codec, path]);
            }
        }
        return path;
    }

    /// <summary>
    /// A tone as 16 kHz mono MP3 (64 kbit/s). ffmpeg writes a Xing header with the frame count, so ffprobe declares
    /// the full duration even when the file is cut short.
    /// </summary>
    public string ToneMp3(int seconds)
    {
        var path = Path.Combine(Folder, $"tone{seconds}.mp3");
        lock (_gate)
        {
            if (!File.Exists(path))
                Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"sine=frequency=300:duration={seconds}",
                    "-ar", "16000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", path);
        }
        return path;
    }

    /// <summary>
    /// A two-channel call: sentence <paramref name="left"/> on the left channel from the start, sentence
    /// <paramref name="right"/> on the right channel from <paramref name="rightDelaySeconds"/> on (22.05 kHz WAV).
    /// </summary>
    public string Stereo(int left, int right, double rightDelaySeconds)
    {
        var (a, b) = (Speech(left), Speech(right));
        var path = Path.Combine(Folder, $"stereo{left}-{right}.wav");
        var delay = (int)(rightDelaySeconds * 1000);
        lock (_gate)
        {
            if (!File.Exists(path))
                Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", a, "-i", b, "-filter_complex",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"[0]apad=whole_dur={rightDelaySeconds + 4}[l];[1]adelay={delay},apad=whole_dur={rightDelaySeconds + 4}[r];[l][r]join=inputs=2:channel_layout=stereo[out]"),
                    "-map", "[out]", "-c:a", "pcm_s16le", path);
        }
        return path;
    }

    /// <summary>A zip holding the given sentences as WAV entries under a sub-folder.</summary>
    public string Zip(string name, params int[] indices)
    {
        var path = Path.Combine(Folder, name);
        lock (_gate)
        {
            if (!File.Exists(path))
            {
                using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
                foreach (var i in indices)
                    zip.CreateEntryFromFile(Speech(i), $"calls/entry{i}.wav", CompressionLevel.Fastest);
            }
        }
        return path;
    }

    /// <summary>Random bytes (deterministic) that no decoder accepts.</summary>
    public static byte[] Corrupt(int length = 4096)
    {
        var bytes = new byte[length];
        new Random(1234).NextBytes(bytes);
        return bytes;
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {err.Result}");
    }
}
