using System.Diagnostics;
using System.Net.Sockets;

namespace MtlBatch.Testing;

/// <summary>
/// The real Azurite on 127.0.0.1:10000-10002. scripts/test.sh (and .ci/run) start it before the tests; when it is not
/// running, the first test starts it with scripts/azurite.sh. Storage is never mocked.
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
        var script = Path.Combine(RepoPaths.Root, "scripts", "azurite.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit(60_000);
        if (!Listening())
            throw new InvalidOperationException("Azurite is not running on 127.0.0.1:10000-10002 and scripts/azurite.sh start did not start it: "
                                                + stderr.Result + " (run: bash scripts/bootstrap.sh && bash scripts/azurite.sh start)");
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
