using System.Text.Json;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// The message on queue <c>inference-jobs</c> (plain JSON, camelCase). Everything the inference handler needs, so a job
/// can run even if its ledger row were lost.
/// </summary>
public sealed record InferenceJob
{
    public required string JobId { get; init; }
    /// <summary>Recording path: the upload's blob name, or "{archive blob name}/{entry path}" for archive entries.</summary>
    public required string Recording { get; init; }
    /// <summary>The blob in <c>recordings</c> this recording came from.</summary>
    public required string Upload { get; init; }
    public required string ContentSha256 { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>
    /// The result version: 1 for the job's first submission, counting up with every re-submission of the same job id
    /// (forced reprocess, a retry after a failure). Part of the completion event id.
    /// </summary>
    public int Attempt { get; init; } = 1;
    /// <summary>Run even if the ledger says Succeeded (explicit reprocess with force).</summary>
    public bool Force { get; init; }
    /// <summary>Why the job was submitted: <see cref="SubmissionReasons"/> (new upload, reprocess, forced reprocess).</summary>
    public string Reason { get; init; } = SubmissionReasons.New;
    /// <summary>
    /// Failed deliveries of earlier copies of this message. A delivery deferred by an open circuit re-queues a copy
    /// (whose dequeue count starts again), carrying the failures so far: a job is poisoned after
    /// <see cref="PipelineOptions.MaxDequeueCount"/> failures of its own, never by deferrals.
    /// </summary>
    public int PriorFailures { get; init; }
    /// <summary>What intake noticed about the input (e.g. <c>input-truncated</c>); copied into result.json and the event.</summary>
    public IReadOnlyList<ResultWarning> Warnings { get; init; } = [];
    /// <summary>Blob name of the decoded 16 kHz mono WAV in the <c>decoded</c> container.</summary>
    public required string DecodedBlob { get; init; }
    /// <summary>
    /// With split channels (<see cref="RecordingFeatureOptions"/>): one decoded 16 kHz mono WAV per source channel
    /// (<c>{jobId}.ch1.wav</c>, ...), analysed one speaker per channel. Empty: the recording is analysed mixed.
    /// </summary>
    public IReadOnlyList<string> DecodedChannelBlobs { get; init; } = [];
    public required double DurationSeconds { get; init; }
    public required int SourceSampleRate { get; init; }
    public required int SourceChannels { get; init; }

    public string ToJson() => MtlJson.Serialize(this, indented: false);

    /// <summary>Every blob of this job in the <c>decoded</c> container (the mixed decode, then one per channel).</summary>
    public IEnumerable<string> DecodedBlobs() => DecodedChannelBlobs.Prepend(DecodedBlob);

    /// <summary>The job's own delivery number: this copy's dequeue count plus the failures of earlier copies.</summary>
    public long DeliveryAttempt(long dequeueCount) => PriorFailures + Math.Max(1, dequeueCount);

    /// <summary>Parses a queue message; null when it is not an inference job (such a message is logged and dropped).</summary>
    public static InferenceJob? TryParse(string message) => QueueMessages.TryParse<InferenceJob>(message, j => j is { JobId.Length: > 0, Recording.Length: > 0 });
}

/// <summary>
/// A message on <c>intake-jobs</c>: run intake on one upload (what reprocessing enqueues instead of running intake
/// inline). Handled like the blob trigger's intake, with the request's <see cref="Force"/> and reason.
/// </summary>
public sealed record IntakeWork
{
    public required string Upload { get; init; }
    public bool Force { get; init; }
    /// <summary>Submitted by reprocessing (the jobs' reason is <c>reprocess</c>, or <c>forced</c> with <see cref="Force"/>).</summary>
    public bool Reprocess { get; init; } = true;
    /// <summary>The reprocess batch that enqueued it (<see cref="ReprocessScan.BatchId"/>); null for the scheduled pass.</summary>
    public string? BatchId { get; init; }

    public IntakeRequest ToRequest() => new() { Force = Force, Reprocess = Reprocess };

    public string ToJson() => MtlJson.Serialize(this, indented: false);

    public static IntakeWork? TryParse(string message) => QueueMessages.TryParse<IntakeWork>(message, w => w.Upload is { Length: > 0 });
}

/// <summary>
/// A message on <c>reprocess-scans</c>: scan one page of the recordings listing of a reprocess batch
/// (<c>POST /api/reprocess</c>, <c>mtlbatch reprocess</c>), enqueue <see cref="IntakeWork"/> for its stale uploads and
/// the next page's scan. The HTTP request only sends the first one.
/// </summary>
public sealed record ReprocessScan
{
    public required string BatchId { get; init; }
    public string? Prefix { get; init; }
    public DateTimeOffset? Since { get; init; }
    public bool Force { get; init; }
    /// <summary>Continuation token of this page of the listing; null = the first page.</summary>
    public string? Continuation { get; init; }
    /// <summary>0 for the first page, counting up.</summary>
    public int Page { get; init; }

    public ReprocessRequest ToRequest() => new() { Prefix = Prefix, Since = Since, Force = Force };

    public string ToJson() => MtlJson.Serialize(this, indented: false);

    public static ReprocessScan? TryParse(string message) => QueueMessages.TryParse<ReprocessScan>(message, m => m.BatchId is { Length: > 0 });
}

internal static class QueueMessages
{
    /// <summary>Null when the message is not JSON of <typeparamref name="T"/> (such a message is logged and dropped).</summary>
    public static T? TryParse<T>(string message, Func<T, bool> valid) where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize<T>(message, MtlJson.Options);
            return value is not null && valid(value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Event types published on <c>results-events</c>, the webhook and Event Grid.</summary>
public static class PipelineEventTypes
{
    public const string Succeeded = "MtlBatch.RecordingAnalyzed";
    public const string Failed = "MtlBatch.RecordingFailed";
}

/// <summary>Why a job was submitted (<see cref="InferenceJob.Reason"/>, the event's <c>reason</c>).</summary>
public static class SubmissionReasons
{
    /// <summary>A new or changed upload.</summary>
    public const string New = "new";
    /// <summary>The reprocess scheduler re-ran a stale upload (new model version, missing results).</summary>
    public const string Reprocess = "reprocess";
    /// <summary>An explicit reprocess with <c>force</c>.</summary>
    public const string Forced = "forced";
}

/// <summary>
/// A completion event. <see cref="Id"/> is <c>{jobId}-{modelVersion}-{attempt}-{succeeded|failed}</c>: the same for
/// repeats of one result (delivery is at-least-once: drop repeats by id) and new for every new result version.
/// </summary>
public sealed record CompletionEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required string JobId { get; init; }
    public required string Recording { get; init; }
    public required string State { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>Folder in the results container: result.json, transcript.json, ... or error.json.</summary>
    public required string ResultsPath { get; init; }
    public string? Device { get; init; }
    public double DurationSeconds { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    /// <summary>The result version (<see cref="InferenceJob.Attempt"/>).</summary>
    public int Attempt { get; init; } = 1;
    /// <summary><see cref="SubmissionReasons"/>: new, reprocess or forced.</summary>
    public string Reason { get; init; } = SubmissionReasons.New;
    /// <summary>The result's warnings (e.g. <c>input-truncated</c>); empty when there are none.</summary>
    public IReadOnlyList<ResultWarning> Warnings { get; init; } = [];
}
