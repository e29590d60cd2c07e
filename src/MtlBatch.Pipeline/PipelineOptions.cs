namespace MtlBatch.Pipeline;

/// <summary>How the pipeline behaves. Bound from configuration section <c>Pipeline</c>.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>
    /// Overrides the model version used for job ids and staleness (default: the <c>mtl.version</c> stored in the model).
    /// Set it when a retrained model ships without a version bump, or to force every recording to be re-run.
    /// </summary>
    public string? ModelVersion { get; set; }

    /// <summary>Queue deliveries before a job is moved to the poison queue. Must equal host.json's queues.maxDequeueCount.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Delete the decoded audio once a job has succeeded (it can always be decoded again from the upload).</summary>
    public bool DeleteDecodedAfterSuccess { get; set; } = true;

    /// <summary>Folder for downloads, archive expansion and decoding; default is the system temp folder.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>Create missing containers, queues and tables when the Functions app starts (Azurite; infra creates them in Azure).</summary>
    public bool CreateStorageOnStart { get; set; }

    /// <summary>
    /// A recording whose decoded audio is shorter than the duration its container declares by more than this many
    /// seconds (and more than <see cref="TruncationToleranceRatio"/> of it) gets the warning <c>input-truncated</c>.
    /// </summary>
    public double TruncationToleranceSeconds { get; set; } = 1.0;

    /// <summary>The relative part of the truncation tolerance (declared durations of compressed streams are estimates).</summary>
    public double TruncationToleranceRatio { get; set; } = 0.02;
}

/// <summary>Bulk re-processing when the model changes. Bound from configuration section <c>Reprocess</c>.</summary>
public sealed class ReprocessOptions
{
    public const string SectionName = "Reprocess";

    /// <summary>NCRONTAB (six fields) for the ReprocessOnSchedule timer; read by the Functions host as %Reprocess:Schedule%.</summary>
    public string Schedule { get; set; } = "0 0 * * * *";

    /// <summary>Stop enqueuing while the inference queue holds more than this many messages (protects the GPU queue).</summary>
    public int MaxQueueLength { get; set; } = 500;

    /// <summary>Uploads re-submitted per run at most; the rest continue from the stored continuation next run.</summary>
    public int MaxUploadsPerRun { get; set; } = 1000;

    /// <summary>Blobs listed per page (the continuation token is stored after each page).</summary>
    public int PageSize { get; set; } = 200;

    /// <summary>
    /// An upload whose results are missing counts as stale only this long after its intake (before that its jobs are
    /// most likely still queued behind others).
    /// </summary>
    public TimeSpan MissingResultsGrace { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// A reprocess batch's scan message that finds the queues over <see cref="MaxQueueLength"/> is put back, invisible
    /// for this long, and scans its page then.
    /// </summary>
    public TimeSpan ThrottleDelay { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Completion events. Bound from configuration section <c>Events</c>. The queue message is always written.</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Events";

    /// <summary>Optional webhook that receives each completion event as a signed JSON POST.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>HMAC-SHA256 key for the <c>X-MtlBatch-Signature</c> header (put it in Key Vault, never in code).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Optional Event Grid custom topic endpoint.</summary>
    public Uri? EventGridTopicEndpoint { get; set; }

    /// <summary>Topic access key; when empty the managed identity (DefaultAzureCredential) is used.</summary>
    public string? EventGridTopicKey { get; set; }
}

/// <summary>Retry, timeout and circuit-breaker settings. Bound from configuration section <c>Resilience</c>.</summary>
public sealed class ResilienceOptions
{
    public const string SectionName = "Resilience";

    public int StorageMaxRetries { get; set; } = 6;
    public TimeSpan StorageBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan StorageMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    public int EventsMaxRetries { get; set; } = 5;
    public TimeSpan EventsBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest one recording's inference may take before the attempt is abandoned.</summary>
    public TimeSpan InferenceTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Failure ratio of model calls within <see cref="BreakerSamplingDuration"/> that opens the breaker.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;
    public int BreakerMinimumThroughput { get; set; } = 4;
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromMinutes(2);
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The local worker (<c>mtlbatch worker</c>). Bound from configuration section <c>Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Pause between polls when there was nothing to do.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a received job stays invisible to other workers. Renewed every half lease while the job runs, so long
    /// recordings are not affected; after a crash (kill -9) the job is visible again within one lease.
    /// </summary>
    public TimeSpan MessageLease { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Delay before a failed job becomes visible again (host.json queues.visibilityTimeout).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Jobs run in parallel. One GPU per worker: 1 keeps the session busy without contention.</summary>
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>
    /// At start-up the worker deletes job/intake work folders (in Pipeline:WorkDirectory) untouched for this long:
    /// what a killed worker left behind. Long enough that a live worker's folder on the same machine is never hit.
    /// </summary>
    public TimeSpan StaleWorkFolderAge { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// Run the scheduled reprocessing in the worker as the Functions app's <c>ReprocessOnSchedule</c> timer does: one pass
    /// when the worker starts, then at every occurrence of <see cref="ReprocessOptions.Schedule"/>. Off by default for
    /// the class (tests drive the scheduler themselves); <c>mtlbatch worker</c> turns it on unless given <c>--no-reprocess</c>.
    /// </summary>
    public bool RunReprocessSchedule { get; set; }

    /// <summary>
    /// Port on 127.0.0.1 where <c>mtlbatch worker</c> serves the Functions app's HTTP API (<c>GET /api/jobs/{id}</c>,
    /// <c>POST /api/reprocess</c>); 0 = off (the default: several workers on one machine would need one port each).
    /// </summary>
    public int HttpPort { get; set; }
}
