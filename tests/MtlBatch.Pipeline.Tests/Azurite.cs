using System.Diagnostics;
using System.Net.Sockets;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// The real Azurite on 127.0.0.1:10000-10002. scripts/test.sh (and .ci/run) start it before the tests; when it is not
/// running, the first test starts it with scripts/azurite.sh. Storage is never mocked.
/// </summary>
public static class Azurite
{
    public const string ConnectionString = "UseDevelopmentStorage=true";
    private static readonly Lazy<bool> s_ready = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureRunning()
    {
        _ = s_ready.Value;
    }

    private static bool Start()
    {
        if (Listening()) return true;
        var script = Path.Combine(TestPaths.RepositoryRoot, "scripts", "azurite.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit(60_000);
        if (!Listening())
            throw new InvalidOperationException("Azurite is not running on 127.0.0.1:10000-10002 and scripts/azurite.sh start did not start it: "
                                                + process.StandardError.ReadToEnd() + " (run: bash scripts/bootstrap.sh && bash scripts/azurite.sh start)");
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

public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (MtlBatch.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The shipped model when the lead has committed it, else the untrained dev model with the same contract.</summary>
    public static string ModelPath { get; } = new[] { "models/mtl-small.onnx", "models/dev/mtl-untrained.onnx" }
        .Select(p => Path.Combine(RepositoryRoot, p)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("Neither models/mtl-small.onnx nor models/dev/mtl-untrained.onnx exists.");
}
