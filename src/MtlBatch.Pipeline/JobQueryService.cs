namespace MtlBatch.Pipeline;

/// <summary>What <c>GET jobs/{id}</c> and <c>GET jobs?recording=</c> return.</summary>
public sealed record JobStatus
{
    public required string JobId { get; init; }
    public required string Recording { get; init; }
    public required string Upload { get; init; }
    public required string State { get; init; }
    public required int Attempts { get; init; }
    public required string ModelVersion { get; init; }
    public string? ContentSha256 { get; init; }
    public DateTimeOffset? QueuedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public double DurationSeconds { get; init; }
    public double DecodeSeconds { get; init; }
    public double InferenceSeconds { get; init; }
    public double RealtimeFactor { get; init; }
    public string? Device { get; init; }
    public string? ResultsPath { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }

    public static JobStatus From(JobEntity e) => new()
    {
        JobId = e.JobId, Recording = e.Recording, Upload = e.Upload, State = e.State, Attempts = e.Attempts, ModelVersion = e.ModelVersion,
        ContentSha256 = e.ContentSha256, QueuedAt = e.QueuedAt, StartedAt = e.StartedAt, CompletedAt = e.CompletedAt,
        DurationSeconds = e.DurationSeconds, DecodeSeconds = e.DecodeSeconds, InferenceSeconds = e.InferenceSeconds,
        RealtimeFactor = e.RealtimeFactor, Device = e.Device, ResultsPath = e.ResultsPath, ErrorCode = e.ErrorCode, ErrorMessage = e.ErrorMessage,
    };
}

/// <summary>Reads the ledger for the GetJob endpoint and <c>mtlbatch status</c>.</summary>
public sealed class JobQueryService(JobLedger ledger)
{
    /// <summary>Every job row of the ledger (<c>mtlbatch status --all</c>), in the table's order (by job id).</summary>
    public async IAsyncEnumerable<JobStatus> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in ledger.ListJobsAsync(cancellationToken).ConfigureAwait(false))
            yield return JobStatus.From(row);
    }

    public async Task<JobStatus?> GetByJobIdAsync(string jobId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(jobId) || jobId.Length > 64 || !jobId.All(char.IsAsciiHexDigit)) return null;
        var row = await ledger.GetJobAsync(jobId.ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
        return row is null ? null : JobStatus.From(row);
    }

    /// <summary>The latest job of a recording path (an upload's blob name, or "{archive}/{entry}").</summary>
    public async Task<JobStatus?> GetByRecordingAsync(string recording, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(recording)) return null;
        var pointer = await ledger.GetRecordingAsync(recording, cancellationToken).ConfigureAwait(false);
        return pointer is null ? null : await GetByJobIdAsync(pointer.JobId, cancellationToken).ConfigureAwait(false);
    }
}
