using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>The signed webhook, delivered with retries, against a real HTTP listener on loopback.</summary>
public sealed class EventDeliveryTests
{
    [Fact]
    public async Task Completion_webhook_is_signed_with_hmac_sha256_and_retried_after_a_server_error()
    {
        const string secret = "test-secret-for-hmac";
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var received = new ConcurrentQueue<(byte[] Body, string? Signature, string? EventId, int Status)>();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync().WaitAsync(stop.Token); }
                catch (Exception) { return; }
                using var ms = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(ms);
                var status = ++n == 1 ? 503 : 200; // the first delivery fails: the events pipeline must retry
                received.Enqueue((ms.ToArray(), ctx.Request.Headers[CompletionEventPublisher.SignatureHeader], ctx.Request.Headers[CompletionEventPublisher.EventIdHeader], status));
                ctx.Response.StatusCode = status;
                ctx.Response.Close();
            }
        });

        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Events:WebhookUrl"] = $"http://127.0.0.1:{port}/hook/",
            ["Events:WebhookSecret"] = secret,
        });
        await h.UploadAsync("hook/call.wav", TestMedia.Shared.Speech(4));
        await h.RunWorkerOnceAsync();
        await stop.CancelAsync();
        listener.Stop();
        await server;

        Assert.Equal([503, 200], received.Select(r => r.Status));
        foreach (var (body, signature, eventId, _) in received)
        {
            Assert.True(CompletionEventPublisher.VerifySignature(secret, body, signature), $"bad signature {signature}");
            Assert.False(CompletionEventPublisher.VerifySignature("another-secret", body, signature));
            var evt = MtlJson.Deserialize<CompletionEvent>(System.Text.Encoding.UTF8.GetString(body));
            Assert.Equal(PipelineEventTypes.Succeeded, evt.Type);
            Assert.Equal("hook/call.wav", evt.Recording);
            Assert.Equal(evt.Id, eventId);
        }
        Assert.Single(await h.DrainEventsAsync());
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
