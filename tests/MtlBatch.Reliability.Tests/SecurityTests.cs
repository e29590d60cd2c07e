using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Core.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// Issue 6, part 5. Also proven elsewhere: the Bicep app settings hold no keys and storage forbids shared keys
/// (tests/MtlBatch.Infra.Tests/SecurityTests), webhook HMAC signing and retries (tests/MtlBatch.Pipeline.Tests/EventDeliveryTests),
/// temp folders left empty and decoded audio deleted after success (HostileCorpusTests here).
/// </summary>
public sealed class SecurityTests
{
    [Fact]
    public async Task Logs_of_a_run_hold_neither_the_account_key_nor_the_webhook_secret_nor_a_sas_signature()
    {
        const string secret = "whsec-Zq8vN3r7TtYp2LmK9xW4";
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var deliveries = new ConcurrentQueue<(byte[] Body, string? Signature)>();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync().WaitAsync(stop.Token); }
                catch (Exception) { return; }
                using var body = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(body);
                deliveries.Enqueue((body.ToArray(), ctx.Request.Headers[CompletionEventPublisher.SignatureHeader]));
                ctx.Response.StatusCode = 200;
                ctx.Response.Close();
            }
        });

        // Everything at the most verbose level: our ILogger output AND the Azure SDK's own event source (request logs).
        var logs = new CapturingLoggerProvider();
        using var sdkLogs = new AzureEventSourceListener((e, message) => logs.Add("azure-sdk " + message), EventLevel.Verbose);
        await using (var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = Azurite.KeyConnectionString,
            ["Events:WebhookUrl"] = $"http://127.0.0.1:{port}/hook/",
            ["Events:WebhookSecret"] = secret,
        }, logging: b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)))
        {
            await rig.UploadAsync("secure/good.wav", SpeechClips.Get(4));
            var garbage = Path.Combine(rig.WorkFolder, "..", Path.GetFileName(rig.WorkFolder) + "-garbage.mp3");
            await File.WriteAllTextAsync(garbage, "not audio");
            await rig.UploadAsync("secure/garbage.mp3", garbage);
            File.Delete(garbage);
            await rig.RunWorkerOnceAsync();
        }
        await stop.CancelAsync();
        listener.Stop();
        await server;

        var text = logs.Text;
        // The capture works: it saw the recordings, the failure and the SDK's requests.
        Assert.Contains("secure/good.wav", text, StringComparison.Ordinal);
        Assert.Contains("unsupported-media", text, StringComparison.Ordinal);
        Assert.Contains("azure-sdk Request [", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Azurite.AccountKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotMatch("[?&]sig=[^R&]", text); // a SAS signature other than the SDK's "sig=REDACTED"
        Assert.DoesNotMatch("SharedKey [^:]+:[A-Za-z0-9+/=]{20,}", text); // an Authorization header value

        // And the webhook payloads were signed with that secret.
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.True(CompletionEventPublisher.VerifySignature(secret, d.Body, d.Signature)));
    }

    [Fact]
    public void Production_storage_configuration_is_identity_based_and_holds_no_key()
    {
        // What infra/ sets on the apps: AzureWebJobsStorage__accountName only (no connection string, no key).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:accountName"] = "mtlbatchprod",
        }).Build();
        var credential = new RecordingCredential();
        var storage = PipelineStorage.Create(new StorageOptions(), configuration, credential);

        Assert.Equal(new Uri("https://mtlbatchprod.blob.core.windows.net/"), storage.BlobService.Uri);
        Assert.Equal("https://mtlbatchprod.queue.core.windows.net/", storage.InferenceQueue.Uri.GetLeftPart(UriPartial.Authority) + "/");
        // No shared key anywhere: the clients cannot even sign a SAS.
        Assert.False(storage.BlobService.CanGenerateAccountSasUri);
        Assert.False(storage.Recordings.CanGenerateSasUri);
        Assert.False(storage.InferenceQueue.CanGenerateSasUri);
        // And nothing in the pipeline's sources can mint SAS tokens.
        var sources = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal));
        Assert.DoesNotContain(sources, f => File.ReadAllText(f).Contains("GenerateSas", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../x.wav")]
    [InlineData("calls/../../x.wav")]
    [InlineData("/etc/x.wav")]
    [InlineData("calls\\..\\x.wav")]
    [InlineData("calls/./x.wav")]
    [InlineData("calls//x.wav")]
    [InlineData("calls/x.wav\n")]
    [InlineData("calls/\u0000x.wav")]
    [InlineData("")]
    public void Unsafe_recording_names_never_become_blob_paths(string name)
    {
        var folder = RecordingPaths.ResultsFolder(name);
        Assert.Matches("^_rejected/[0-9a-f]{40}$", folder);
        Assert.Equal(folder + "/error.json", RecordingPaths.ErrorBlob(name));
    }

    [Theory]
    [InlineData("calls/2024/a.mp3")]
    [InlineData("name with spaces.wav")]
    [InlineData("ünïcødé/日本語 🎧.wav")]
    [InlineData("quote\" -f lavfi.wav")]
    public void Safe_names_are_mirrored_unchanged(string name) => Assert.Equal(name, RecordingPaths.ResultsFolder(name));

    [Fact]
    public async Task Decoded_audio_is_kept_after_success_only_when_retention_says_so()
    {
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:DeleteDecodedAfterSuccess"] = "false" });
        await rig.UploadAsync("retain/a.wav", SpeechClips.Get(5));
        await rig.RunWorkerOnceAsync();

        var job = Assert.Single(await rig.JobRowsAsync());
        Assert.Equal(nameof(JobState.Succeeded), job.State);
        Assert.Equal([job.JobId + ".wav"], await PipelineHarness.ListAsync(rig.Storage.Decoded));
        // (With the default, true, the decoded container ends empty: HostileCorpusTests and FaultTests assert it.)
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class RecordingCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
