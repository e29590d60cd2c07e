using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MtlBatch.Audio.Tests;

/// <summary>A temp folder plus helpers that generate real media with ffmpeg (the tests never use stored fixtures).</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mtlbatch-audio-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Tools
{
    /// <summary>Runs ffmpeg with the given arguments (no shell) and fails the test with its stderr on error.</summary>
    public static void Ffmpeg(params string[] arguments) => Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", .. arguments]);

    public static string Run(string program, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }

    /// <summary>A 440 Hz sine at amplitude 0.5 of <paramref name="seconds"/>, encoded as asked.</summary>
    public static string Sine(TempFolder folder, string name, double seconds, int rate, params string[] encode)
    {
        var path = folder.File(name);
        Ffmpeg(["-f", "lavfi", "-i", $"sine=frequency=440:sample_rate={rate}:duration={seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "-af", "volume=4", .. encode, path]);
        return path;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    public static string MakeFifo(string path)
    {
        if (mkfifo(path, 0x1B6) != 0) throw new IOException($"mkfifo failed: {Marshal.GetLastPInvokeError()}");
        return path;
    }
}

public static class Signal
{
    public static double Rms(IReadOnlyList<float> x) => x.Count == 0 ? 0 : Math.Sqrt(x.Sum(v => (double)v * v) / x.Count);

    /// <summary>Frequency from positive-going zero crossings: proves the samples really are at 16 kHz.</summary>
    public static double ZeroCrossingFrequency(IReadOnlyList<float> x, int sampleRate)
    {
        var crossings = 0;
        for (var i = 1; i < x.Count; i++) if (x[i - 1] < 0 && x[i] >= 0) crossings++;
        return crossings * (double)sampleRate / x.Count;
    }
}
