using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace MtlBatch.Pipeline;

/// <summary>Ledger states: Queued -> Running -> Succeeded | Failed (Running -> Queued again on a retried delivery).</summary>
public enum JobState { Queued, Running, Succeeded, Failed }

/// <summary>One inference job (one recording at one model version). Table <c>jobs</c>, PartitionKey = job id, RowKey = "job".</summary>
public sealed class JobEntity : ITableEntity
{
    public const string Row = "job";
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string JobId { get => PartitionKey; set => PartitionKey = value; }
    public string Recording { get; set; } = "";
    public string Upload { get; set; } = "";
    public string ContentSha256 { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string State { get; set; } = nameof(JobState.Queued);
    public int Attempts { get; set; }
    public DateTimeOffset? QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public double DurationSeconds { get; set; }
    public double DecodeSeconds { get; set; }
    public double InferenceSeconds { get; set; }
    public double RealtimeFactor { get; set; }
    public string? Device { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ResultsPath { get; set; }
    /// <summary>The result version of the latest submission (<see cref="InferenceJob.Attempt"/>; 0 in rows written before it existed).</summary>
    public int ResultVersion { get; set; }
    /// <summary>Why the latest submission was made (<see cref="SubmissionReasons"/>).</summary>
    public string? Reason { get; set; }

    public JobState GetState() => Enum.Parse<JobState>(State);
}

/// <summary>Latest job of a recording path (lookup by recording). PartitionKey = "rec-" + key(path), RowKey = "latest".</summary>
public sealed class RecordingEntity : ITableEntity
{
    public const string Row = "latest";
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string Recording { get; set; } = "";
    public string JobId { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string State { get; set; } = "";
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>
/// What intake did with one upload blob (a recording or an archive). PartitionKey = "upl-" + key(name), RowKey = "upload".
/// The local worker's blob polling and the reprocess scheduler compare ETag and ModelVersion against it.
/// </summary>
public sealed class UploadEntity : ITableEntity
{
    public const string Row = "upload";
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = Row;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string Upload { get; set; } = "";
    public string BlobETag { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    /// <summary>Recordings found in the upload (1 for a plain recording, the audio entries of an archive).</summary>
    public int Recordings { get; set; }
    public int Enqueued { get; set; }
    public int Failed { get; set; }
    /// <summary>The upload itself was rejected (unreadable, too large, bad archive): re-running it with a new model changes nothing.</summary>
    public bool InputError { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
}

/// <summary>The job ledger in table <c>jobs</c>; every call goes through the storage retries.</summary>
public sealed class JobLedger(PipelineStorage storage, ResiliencePipelines resilience)
{
    private readonly TableClient _table = storage.Jobs;

    /// <summary>Job id = hash(recording path, content SHA-256, model version): the same bytes at the same path with the same model are the same job.</summary>
    public static string ComputeJobId(string recording, string contentSha256, string modelVersion) =>
        Hex(SHA256.HashData(Encoding.UTF8.GetBytes($"{recording}\n{contentSha256}\n{modelVersion}")))[..32];

    /// <summary>Blob ETags come quoted in headers and unquoted in listings; compare them without quotes.</summary>
    public static string NormalizeETag(ETag? etag) => etag?.ToString().Trim('"') ?? "";

    /// <summary>
    /// The result version for a new submission of a job: 1 for a new job, the same while a submission is still queued or
    /// running (a repeated intake), the next one after a final outcome (forced reprocess, a retry after a failure).
    /// </summary>
    public static int NextResultVersion(JobEntity? existing) => existing switch
    {
        null => 1,
        _ when existing.GetState() is JobState.Queued or JobState.Running => Math.Max(1, existing.ResultVersion),
        _ => Math.Max(1, existing.ResultVersion) + 1,
    };

    public static string KeyOf(string path) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..40];
    public static string RecordingPartition(string recording) => "rec-" + KeyOf(recording);
    public static string UploadPartition(string upload) => "upl-" + KeyOf(upload);

    public Task<JobEntity?> GetJobAsync(string jobId, CancellationToken cancellationToken) => GetAsync<JobEntity>(jobId, JobEntity.Row, cancellationToken);
    public Task<RecordingEntity?> GetRecordingAsync(string recording, CancellationToken cancellationToken) =>
        GetAsync<RecordingEntity>(RecordingPartition(recording), RecordingEntity.Row, cancellationToken);
    public Task<UploadEntity?> GetUploadAsync(string upload, CancellationToken cancellationToken) =>
        GetAsync<UploadEntity>(UploadPartition(upload), UploadEntity.Row, cancellationToken);

    /// <summary>Records a job as Queued unless it is already Running (a retried trigger must not rewind a running job).</summary>
    public async Task MarkQueuedAsync(JobEntity job, CancellationToken cancellationToken)
    {
        var existing = await GetJobAsync(job.JobId, cancellationToken).ConfigureAwait(false);
        if (existing is { } e && e.GetState() == JobState.Running) return;
        job.State = nameof(JobState.Queued);
        job.QueuedAt ??= DateTimeOffset.UtcNow;
        job.Attempts = existing?.Attempts ?? 0;
        job.ErrorCode = null;
        job.ErrorMessage = null;
        await UpsertAsync(job, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await PointRecordingAsync(job, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the job Running for this delivery and returns the row's ETag (the Succeeded write is conditional on it).</summary>
    public async Task<JobEntity> MarkRunningAsync(JobEntity job, int attempt, CancellationToken cancellationToken)
    {
        // The last attempt's error stays until the job succeeds or fails for good (GetJob shows why it is retrying).
        job.State = nameof(JobState.Running);
        job.Attempts = attempt;
        job.StartedAt = DateTimeOffset.UtcNow;
        job.ETag = await UpsertAsync(job, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return job;
    }

    /// <summary>
    /// Writes Succeeded only if nobody touched the row since our Running write (another delivery of the same message
    /// would have). Returns false when the ETag no longer matches: the other delivery owns the outcome.
    /// </summary>
    public async Task<bool> TryMarkSucceededAsync(JobEntity job, CancellationToken cancellationToken)
    {
        job.State = nameof(JobState.Succeeded);
        job.CompletedAt = DateTimeOffset.UtcNow;
        job.ErrorCode = null;
        job.ErrorMessage = null;
        try
        {
            var etag = job.ETag;
            var response = await resilience.StorageAsync(async ct => await _table.UpdateEntityAsync(job, etag, TableUpdateMode.Replace, ct).ConfigureAwait(false), cancellationToken)
                .ConfigureAwait(false);
            job.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
        await PointRecordingAsync(job, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task MarkFailedAsync(JobEntity job, string code, string message, CancellationToken cancellationToken)
    {
        job.State = nameof(JobState.Failed);
        job.CompletedAt = DateTimeOffset.UtcNow;
        job.ErrorCode = code;
        job.ErrorMessage = message;
        job.ETag = await UpsertAsync(job, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await PointRecordingAsync(job, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Best-effort note of the last transient failure (the job stays Running/Queued until it succeeds or is poisoned):
    /// its <paramref name="code"/> (<see cref="MtlBatch.Core.ErrorCodes"/>, what the poison handler records) and message.
    /// </summary>
    public async Task NoteAttemptFailedAsync(JobEntity job, string code, string message, CancellationToken cancellationToken)
    {
        job.ErrorCode = code;
        job.ErrorMessage = message.Length > 2000 ? message[..2000] : message;
        job.State = nameof(JobState.Queued);
        await UpsertAsync(job, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task SaveUploadAsync(UploadEntity upload, CancellationToken cancellationToken)
    {
        upload.PartitionKey = UploadPartition(upload.Upload);
        upload.RowKey = UploadEntity.Row;
        upload.ProcessedAt = DateTimeOffset.UtcNow;
        await UpsertAsync(upload, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private Task PointRecordingAsync(JobEntity job, CancellationToken cancellationToken) =>
        UpsertAsync(new RecordingEntity
        {
            PartitionKey = RecordingPartition(job.Recording),
            Recording = job.Recording,
            JobId = job.JobId,
            ModelVersion = job.ModelVersion,
            State = job.State,
            UpdatedAt = DateTimeOffset.UtcNow,
        }, TableUpdateMode.Replace, cancellationToken);

    private async Task<ETag> UpsertAsync<T>(T entity, TableUpdateMode mode, CancellationToken cancellationToken) where T : ITableEntity
    {
        var response = await resilience.StorageAsync(async ct => await _table.UpsertEntityAsync(entity, mode, ct).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
        return response.Headers.ETag ?? default;
    }

    /// <summary>Every job row (RowKey <c>job</c>), page by page; each page is read through the storage pipeline.</summary>
    public async IAsyncEnumerable<JobEntity> ListJobsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var token = continuation;
            var page = await resilience.StorageAsync(async ct =>
            {
                await foreach (var p in _table.QueryAsync<JobEntity>(e => e.RowKey == JobEntity.Row, maxPerPage: 500, cancellationToken: ct).AsPages(token).ConfigureAwait(false))
                    return p;
                return null;
            }, cancellationToken).ConfigureAwait(false);
            if (page is null) yield break;
            foreach (var row in page.Values) yield return row;
            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));
    }

    private async Task<T?> GetAsync<T>(string partitionKey, string rowKey, CancellationToken cancellationToken) where T : class, ITableEntity, new()
    {
        var response = await resilience.StorageAsync(async ct => await _table.GetEntityIfExistsAsync<T>(partitionKey, rowKey, cancellationToken: ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
