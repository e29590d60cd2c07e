using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// scripts/azurite.sh on its own ports and data folder (so the shared instance the other tests use is untouched):
/// data survives stop/start, <c>reset</c> wipes it, telemetry is off.
/// </summary>
public sealed class AzuriteScriptTests
{
    [Fact]
    public async Task Data_survives_stop_and_start_reset_wipes_it_and_telemetry_is_disabled()
    {
        var data = Directory.CreateTempSubdirectory("mtlbatch-azurite-script-").FullName;
        var blobPort = FreePort();
        var env = new Dictionary<string, string>
        {
            ["AZURITE_DATA"] = data,
            ["AZURITE_BLOB_PORT"] = blobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AZURITE_QUEUE_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AZURITE_TABLE_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Azurite.AccountKey +
                         $";BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;";
        try
        {
            Script("start", env);
            var pid = File.ReadAllText(Path.Combine(data, "azurite.pid")).Trim();
            // The node process was started with the flag (its command line is NUL-separated).
            Assert.Contains("--disableTelemetry", File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'));

            var container = new BlobContainerClient(connection, "kept");
            await container.CreateAsync();
            await container.UploadBlobAsync("a.txt", BinaryData.FromString("still here"));

            Script("stop", env);
            Script("start", env);
            Assert.Equal("still here", (await container.GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());

            Script("reset", env); // running: stopped, wiped, started again
            Assert.False((await container.ExistsAsync()).Value);
        }
        finally
        {
            Script("stop", env);
            Directory.Delete(data, recursive: true);
        }
    }

    private static void Script(string verb, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "scripts", "azurite.sh"), verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"azurite.sh {verb} did not finish");
        Assert.True(process.ExitCode == 0, $"azurite.sh {verb} exited {process.ExitCode}: {stdout.Result} {stderr.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
