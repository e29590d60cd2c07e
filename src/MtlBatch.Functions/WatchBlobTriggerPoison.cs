using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>
/// An upload whose blob-triggered intake failed on every attempt (the host moved it to <c>webjobs-blobtrigger-poison</c>):
/// error.json (internal-error), ledger Failed, failure event — the blob trigger cannot tell the function its attempt count.
/// </summary>
public sealed class WatchBlobTriggerPoison(RecordingIntakeHandler intake)
{
    [Function(nameof(WatchBlobTriggerPoison))]
    public async Task<bool> Run([QueueTrigger(StorageNames.BlobTriggerPoisonQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        await intake.HandleBlobTriggerGivenUpAsync(message.MessageText, cancellationToken).ConfigureAwait(false);
}
