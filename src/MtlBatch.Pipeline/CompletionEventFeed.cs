using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>One message of <c>results-events</c>: the event, or null when the message is not a completion event.</summary>
internal sealed record FeedItem(string MessageId, string Text, CompletionEvent? Event);

/// <summary>
/// <c>mtlbatch events</c>: reads the completion events <see cref="CompletionEventPublisher"/> puts on <c>results-events</c>
/// (the local pipeline's only channel unless a webhook or Event Grid is configured). Reading either consumes the
/// messages like any queue consumer (received, then deleted once handed out) or only peeks at the first 32.
/// </summary>
internal sealed class CompletionEventFeed(PipelineStorage storage, ResiliencePipelines resilience)
{
    /// <summary>How long a received message stays invisible while it is being printed, before it is deleted.</summary>
    private static readonly TimeSpan ReadLease = TimeSpan.FromSeconds(30);

    /// <summary>The next visible messages (at most 32); with <paramref name="consume"/> they are deleted after <paramref name="handle"/> ran for each.</summary>
    public async Task<int> ReadAsync(bool consume, Func<FeedItem, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!consume)
        {
            var peeked = await resilience.StorageAsync(async ct => (await storage.EventsQueue.PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value, cancellationToken)
                .ConfigureAwait(false);
            foreach (var m in peeked) await handle(Parse(m.MessageId, m.Body.ToString()), cancellationToken).ConfigureAwait(false);
            return peeked.Length;
        }

        var received = await resilience.StorageAsync(async ct => (await storage.EventsQueue.ReceiveMessagesAsync(32, ReadLease, ct).ConfigureAwait(false)).Value, cancellationToken)
            .ConfigureAwait(false);
        foreach (var m in received)
        {
            await handle(Parse(m.MessageId, m.MessageText), cancellationToken).ConfigureAwait(false);
            await resilience.StorageAsync(async ct => { await storage.EventsQueue.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct).ConfigureAwait(false); }, CancellationToken.None)
                .ConfigureAwait(false);
        }
        return received.Length;
    }

    /// <summary>Creates the queue when it does not exist yet (a pipeline that never ran).</summary>
    public async Task EnsureQueueAsync(CancellationToken cancellationToken) =>
        await resilience.StorageAsync(async ct => { await storage.EventsQueue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken)
            .ConfigureAwait(false);

    private static FeedItem Parse(string id, string text)
    {
        try
        {
            var e = MtlJson.Deserialize<CompletionEvent>(text);
            return new FeedItem(id, text, string.IsNullOrEmpty(e.Id) ? null : e);
        }
        catch (System.Text.Json.JsonException)
        {
            return new FeedItem(id, text, null);
        }
    }
}
