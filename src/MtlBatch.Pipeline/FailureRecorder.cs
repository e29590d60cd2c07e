using Microsoft.Extensions.Logging;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>Where a job's failure was found (it decides only the log line).</summary>
public enum FailureStage { Intake, Inference, Poison }

/// <summary>
/// The one failure path of the pipeline, for intake, inference and the poison queue alike: <c>error.json</c> where the
/// results would have been, the ledger row <c>Failed</c> with the code, the failure event, then the job's decoded audio
/// is deleted (a failed job is re-run through intake, which decodes again, so nothing keeps it). The code must be one
/// of <see cref="ErrorCodes"/>: callers pass the code they know, nothing is inferred from message text.
/// Order: error.json first, the event last, so a crash in between repeats the whole record (same event id) on the
/// redelivery instead of losing it.
/// </summary>
public sealed class FailureRecorder(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    ResultStore results,
    CompletionEventPublisher events,
    ILogger<FailureRecorder> logger)
{
    /// <param name="job">The job's ledger row (or a new one for a recording that never got a job); updated in place.</param>
    /// <param name="code">One of <see cref="ErrorCodes"/>.</param>
    /// <param name="decodedBlobs">The job's blobs in the <c>decoded</c> container (none when intake never wrote any).</param>
    public async Task RecordAsync(JobEntity job, string code, string message, FailureStage stage, IEnumerable<string> decodedBlobs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(decodedBlobs);
        if (!ErrorCodes.All.Contains(code))
            throw new ArgumentException($"'{code}' is not one of MtlBatch.Core.ErrorCodes.", nameof(code));

        switch (stage)
        {
            case FailureStage.Intake:
                logger.LogWarning("Recording {Recording} rejected ({ErrorCode}): {ErrorMessage}", job.Recording, code, message);
                break;
            case FailureStage.Poison:
                logger.LogError("Job {JobId} ({Recording}) is poisoned ({ErrorCode}): {ErrorMessage}", job.JobId, job.Recording, code, message);
                break;
            default:
                logger.LogWarning("Job {JobId} ({Recording}) failed ({ErrorCode}): {ErrorMessage}", job.JobId, job.Recording, code, message);
                break;
        }

        job.ResultsPath = RecordingPaths.ResultsFolder(job.Recording);
        await results.WriteErrorAsync(new ErrorRecord
        {
            Recording = job.Recording, Code = code, Message = message, JobId = job.JobId, ModelVersion = job.ModelVersion,
            Attempts = job.Attempts, FailedAt = DateTimeOffset.UtcNow,
        }, cancellationToken).ConfigureAwait(false);
        await ledger.MarkFailedAsync(job, code, message, cancellationToken).ConfigureAwait(false);
        await events.PublishAsync(PipelineEvents.Failed(job), cancellationToken).ConfigureAwait(false);
        await DeleteDecodedAsync(decodedBlobs, cancellationToken).ConfigureAwait(false);
        PipelineTelemetry.RecordFailure(code, stage);
    }

    /// <summary>Deletes decoded blobs (missing ones are fine: an earlier delivery may have deleted them).</summary>
    public async Task DeleteDecodedAsync(IEnumerable<string> decodedBlobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decodedBlobs);
        foreach (var blob in decodedBlobs)
        {
            var decoded = storage.Decoded.GetBlobClient(blob);
            await resilience.StorageAsync(async ct => { await decoded.DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
