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
    /// <summary>1 for the first submission; re-submissions (reprocess with force) count up.</summary>
    public int Attempt { get; init; } = 1;
    /// <summary>Run even if the ledger says Succeeded (explicit reprocess with force).</summary>
    public bool Force { get; init; }
    /// <summary>Blob name of the decoded 16 kHz mono WAV in the <c>decoded</c> container.</summary>
    public required string DecodedBlob { get; init; }
    public required double DurationSeconds { get; init; }
    public required int SourceSampleRate { get; init; }
    public required int SourceChannels { get; init; }

    public string ToJson() => MtlJson.Serialize(this, indented: false);

    /// <summary>Parses a queue message; null when it is not an inference job (such a message is logged and dropped).</summary>
    public static InferenceJob? TryParse(string message)
    {
        try
        {
            var job = JsonSerializer.Deserialize<InferenceJob>(message, MtlJson.Options);
            return job is { JobId.Length: > 0, Recording.Length: > 0 } ? job : null;
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

/// <summary>A completion event. <see cref="Id"/> is stable per job and outcome, so consumers can drop repeats (delivery is at-least-once).</summary>
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
}
