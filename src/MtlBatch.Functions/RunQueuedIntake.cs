using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>A message on <c>intake-jobs</c> (enqueued by reprocessing): the same intake the blob trigger runs, for one upload.</summary>
public sealed class RunQueuedIntake(RecordingIntakeHandler intake)
{
    [Function(nameof(RunQueuedIntake))]
    public async Task<IntakeOutcome?> Run([QueueTrigger(StorageNames.IntakeQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        await intake.HandleQueuedAsync(message.MessageText, message.DequeueCount, cancellationToken).ConfigureAwait(false);
}
