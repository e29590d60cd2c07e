namespace MtlBatch.Core;

/// <summary>
/// Every storage name the code uses, in one place. infra/main.bicep must create exactly these;
/// a test reads the Bicep and checks it against this class.
/// </summary>
public static class StorageNames
{
    public const string RecordingsContainer = "recordings";
    public const string ResultsContainer = "results";
    /// <summary>Internal: decoded 16 kHz mono audio waiting for inference (expired by a lifecycle rule).</summary>
    public const string DecodedContainer = "decoded";
    public const string InferenceQueue = "inference-jobs";
    public const string InferencePoisonQueue = InferenceQueue + "-poison";
    public const string ResultsEventsQueue = "results-events";
    /// <summary>Internal: one message per upload to run intake on (reprocessing enqueues here instead of running intake inline).</summary>
    public const string IntakeQueue = "intake-jobs";
    /// <summary>Internal: reprocessing scans, one message per page of the recordings listing (POST /api/reprocess, mtlbatch reprocess).</summary>
    public const string ReprocessQueue = "reprocess-scans";
    /// <summary>Intake requests that failed every delivery (the upload's failure is recorded first; kept for the operator).</summary>
    public const string IntakePoisonQueue = IntakeQueue + "-poison";
    /// <summary>Reprocessing scan pages that failed every delivery (kept for the operator to inspect or re-queue).</summary>
    public const string ReprocessPoisonQueue = ReprocessQueue + "-poison";
    /// <summary>
    /// The Functions host's: blob-trigger runs that failed <c>blobs.poisonBlobThreshold</c> times. Created here too so that
    /// the watcher that records those uploads' failures (WatchBlobTriggerPoison) has its queue from the start.
    /// </summary>
    public const string BlobTriggerPoisonQueue = "webjobs-blobtrigger-poison";
    public const string JobsTable = "jobs";
    /// <summary>Internal: continuation tokens and other small pipeline state.</summary>
    public const string StateTable = "pipelinestate";
}
