using System.Diagnostics;
using System.Text;

namespace MtlBatch.Reliability.Tests;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs external tools (ffmpeg, zip, espeak-ng, the built CLI) and captures their output.</summary>
public static class Tools
{
    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, bool check = true,
        IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        p.WaitForExit();
        var result = new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {result.Stderr}");
        return result;
    }

    public static void Ffmpeg(params string[] args) => Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", .. args]);

    /// <summary>The built <c>mtlbatch</c> CLI as a child process (isolated environment, real exit code).</summary>
    public static ProcessStartInfo Cli(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(RepoPaths.CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        // Quiet, predictable child: no first-run banners, no terminal UI.
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        return info;
    }

    public static ProcessResult RunCli(IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = Cli(args, environment);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("mtlbatch " + string.Join(' ', args) + " did not finish in time; output so far: " + stderr.Result);
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Collects the text of a child process's stdout/stderr while it runs.</summary>
public sealed class OutputCollector
{
    private readonly StringBuilder _text = new();

    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_text) _text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_text) _text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }
}
