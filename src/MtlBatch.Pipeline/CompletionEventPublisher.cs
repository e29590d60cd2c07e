using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Identity;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// Publishes completion events: always a message on <c>results-events</c>; optionally a webhook POST signed with
/// HMAC-SHA256 (<c>X-MtlBatch-Signature: sha256=&lt;hex of HMAC(secret, body)&gt;</c>) and an Event Grid custom-topic event.
/// Every channel is retried by the events pipeline; delivery is at-least-once, deduplicate on <see cref="CompletionEvent.Id"/>.
/// </summary>
public sealed class CompletionEventPublisher
{
    public const string SignatureHeader = "X-MtlBatch-Signature";
    public const string EventIdHeader = "X-MtlBatch-Event-Id";
    public const string EventTypeHeader = "X-MtlBatch-Event-Type";
    public const string WebhookClientName = "mtlbatch-webhook";

    private readonly PipelineStorage _storage;
    private readonly ResiliencePipelines _resilience;
    private readonly IHttpClientFactory _httpClients;
    private readonly EventsOptions _options;
    private readonly ILogger<CompletionEventPublisher> _logger;
    private readonly Lazy<EventGridPublisherClient?> _eventGrid;

    public CompletionEventPublisher(PipelineStorage storage, ResiliencePipelines resilience, IHttpClientFactory httpClients,
        IOptions<EventsOptions> options, ILogger<CompletionEventPublisher> logger)
    {
        _storage = storage;
        _resilience = resilience;
        _httpClients = httpClients;
        _options = options.Value;
        _logger = logger;
        _eventGrid = new Lazy<EventGridPublisherClient?>(CreateEventGridClient);
    }

    public async Task PublishAsync(CompletionEvent completion, CancellationToken cancellationToken)
    {
        var body = MtlJson.Serialize(completion, indented: false);

        await _resilience.StorageAsync(async ct => { await _storage.EventsQueue.SendMessageAsync(body, ct).ConfigureAwait(false); }, cancellationToken)
            .ConfigureAwait(false);

        if (_options.WebhookUrl is { } url)
            await _resilience.EventsPipeline.ExecuteAsync(ct => new ValueTask(PostWebhookAsync(url, completion, body, ct)), cancellationToken).ConfigureAwait(false);

        if (_eventGrid.Value is { } client)
        {
            var gridEvent = new EventGridEvent(completion.Recording, completion.Type, "1.0", BinaryData.FromString(body))
            {
                Id = completion.Id,
                EventTime = completion.CompletedAt,
            };
            await _resilience.EventsPipeline.ExecuteAsync(async ct => { await client.SendEventAsync(gridEvent, ct).ConfigureAwait(false); }, cancellationToken)
                .ConfigureAwait(false);
        }

        _logger.LogInformation("Published {EventType} for job {JobId} ({Recording})", completion.Type, completion.JobId, completion.Recording);
    }

    /// <summary>"sha256=" + lowercase hex HMAC-SHA256 of the exact body bytes.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time check of a received signature header (for webhook receivers and tests).</summary>
    public static bool VerifySignature(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(header));

    private async Task PostWebhookAsync(Uri url, CompletionEvent completion, string body, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(EventIdHeader, completion.Id);
        request.Headers.Add(EventTypeHeader, completion.Type);
        if (!string.IsNullOrEmpty(_options.WebhookSecret))
            request.Headers.Add(SignatureHeader, Sign(_options.WebhookSecret, bytes));

        var http = _httpClients.CreateClient(WebhookClientName);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            throw new WebhookDeliveryException($"webhook answered {status}");
        // 4xx other than 408/429: the receiver rejects the event; retrying cannot help.
        _logger.LogError("Webhook rejected event {EventId} with status {Status}", completion.Id, status);
    }

    private EventGridPublisherClient? CreateEventGridClient()
    {
        if (_options.EventGridTopicEndpoint is not { } endpoint) return null;
        return string.IsNullOrEmpty(_options.EventGridTopicKey)
            ? new EventGridPublisherClient(endpoint, new DefaultAzureCredential())
            : new EventGridPublisherClient(endpoint, new AzureKeyCredential(_options.EventGridTopicKey));
    }
}
