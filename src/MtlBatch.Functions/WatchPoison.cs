using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>A job the host gave up on (moved to <c>inference-jobs-poison</c>): error.json, ledger Failed, failure event.</summary>
public sealed class WatchPoison(PoisonJobHandler handler)
{
    [Function(nameof(WatchPoison))]
    public async Task<InferenceOutcome> Run([QueueTrigger(StorageNames.InferencePoisonQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        await handler.HandleAsync(message.MessageText, cancellationToken).ConfigureAwait(false);
}
