using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>A message on <c>reprocess-scans</c>: scan one page of a reprocess batch, enqueue intake for its stale uploads and the next page.</summary>
public sealed class ScanForReprocess(ReprocessScheduler scheduler)
{
    [Function(nameof(ScanForReprocess))]
    public async Task<ScanOutcome> Run([QueueTrigger(StorageNames.ReprocessQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        await scheduler.HandleScanAsync(message.MessageText, cancellationToken).ConfigureAwait(false);
}
