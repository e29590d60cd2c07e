using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>A new or replaced blob in <c>recordings</c>: validate, decode, expand archives, enqueue inference jobs.</summary>
public sealed class OnRecordingUploaded(RecordingIntakeHandler intake)
{
    // Event Grid delivers blob-created events at once and scales to millions of blobs; polling (the default source)
    // scans the container. Azurite emits no Event Grid events, so `func start` against it needs a polling build:
    // dotnet build -p:BlobTriggerPolling=true (docs/pipeline.md). `mtlbatch worker` does its own polling.
#if BLOB_TRIGGER_POLLING
    private const BlobTriggerSource Source = BlobTriggerSource.LogsAndContainerScan;
#else
    private const BlobTriggerSource Source = BlobTriggerSource.EventGrid;
#endif

    [Function(nameof(OnRecordingUploaded))]
    public async Task<IntakeOutcome> Run(
        [BlobTrigger(StorageNames.RecordingsContainer + "/{name}", Source = Source)] BlobClient blob,
        string name,
        CancellationToken cancellationToken) =>
        await intake.HandleAsync(name, IntakeRequest.Default, cancellationToken).ConfigureAwait(false);
}
