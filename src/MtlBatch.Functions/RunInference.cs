using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>A message on <c>inference-jobs</c>: run the model, write results, record the outcome, publish events.</summary>
public sealed class RunInference(InferenceJobHandler handler)
{
    [Function(nameof(RunInference))]
    public async Task<InferenceOutcome> Run([QueueTrigger(StorageNames.InferenceQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        await handler.HandleAsync(message.MessageText, message.DequeueCount, cancellationToken).ConfigureAwait(false);
}
