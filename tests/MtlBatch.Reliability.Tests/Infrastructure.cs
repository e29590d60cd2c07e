using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace MtlBatch.Reliability.Tests;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (MtlBatch.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The shipped model when the lead has committed it, else the untrained dev model with the same contract.</summary>
    public static string Model { get; } = new[] { "models/mtl-small.onnx", "models/dev/mtl-untrained.onnx" }
        .Select(p => Path.Combine(Root, p)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("Neither models/mtl-small.onnx nor models/dev/mtl-untrained.onnx exists.");

    public static bool TrainedModel => Model.EndsWith("mtl-small.onnx", StringComparison.Ordinal);

    /// <summary>The built CLI (copied next to the tests as a referenced project).</summary>
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "mtlbatch.dll");

    public static string NewTempFolder(string prefix) => Directory.CreateTempSubdirectory(prefix + "-").FullName;
}

/// <summary>
/// The real Azurite on 127.0.0.1:10000-10002 (scripts/azurite.sh). Storage is never mocked.
/// </summary>
public static class Azurite
{
    public const string ConnectionString = "UseDevelopmentStorage=true";

    /// <summary>Azurite's well-known development key (public; documented by Microsoft). Used to prove keys never reach logs.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The same account as an explicit connection string holding the AccountKey.</summary>
    public const string KeyConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey +
        ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    private static readonly Lazy<bool> s_ready = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureRunning() => _ = s_ready.Value;

    private static bool Start()
    {
        if (Listening()) return true;
        var result = Tools.Run("bash", [Path.Combine(RepoPaths.Root, "scripts", "azurite.sh"), "start"], TimeSpan.FromSeconds(60), check: false);
        if (!Listening())
            throw new InvalidOperationException("Azurite is not running and scripts/azurite.sh start did not start it: " + result.Stderr);
        return true;
    }

    private static bool Listening() => new[] { 10000, 10001, 10002 }.All(port =>
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    });
}

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
