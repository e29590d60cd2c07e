using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// A message on <c>inference-jobs-poison</c>: the job failed on every delivery. Writes error.json with the last
/// error the ledger noted, marks the job Failed and publishes a failure event, so the failure is never silent.
/// </summary>
public sealed class PoisonJobHandler(JobLedger ledger, FailureRecorder failures, IOptions<PipelineOptions> options, ILogger<PoisonJobHandler> logger)
{
    public async Task<InferenceOutcome> HandleAsync(string message, CancellationToken cancellationToken)
    {
        var job = InferenceJob.TryParse(message);
        if (job is null)
        {
            logger.LogError("Dropping a poison message that is not an inference job ({Length} characters)", message.Length);
            return new InferenceOutcome(null, InferenceStatus.Rejected);
        }

        var row = await ledger.GetJobAsync(job.JobId, cancellationToken).ConfigureAwait(false);
        if (row?.GetState() is JobState.Succeeded or JobState.Failed)
        {
            // A duplicate delivery poisoned after another one finished: the outcome is already recorded.
            logger.LogInformation("Poison message for job {JobId} ({Recording}) that is already {State}; nothing to do", job.JobId, job.Recording, row.State);
            return new InferenceOutcome(job.JobId, row.GetState() == JobState.Succeeded ? InferenceStatus.AlreadySucceeded : InferenceStatus.Failed);
        }
        row ??= new JobEntity
        {
            JobId = job.JobId, Recording = job.Recording, Upload = job.Upload, ContentSha256 = job.ContentSha256,
            ModelVersion = job.ModelVersion, DurationSeconds = job.DurationSeconds,
        };
        row.ResultVersion = job.Attempt;
        row.Reason = job.Reason;

        var lastError = string.IsNullOrEmpty(row.ErrorMessage) ? "no error was recorded" : row.ErrorMessage;
        // The code the inference handler noted with the job's last own failure (from the exception's type), never
        // guessed from the message: a model error whose text says "timeout" is still inference-failed.
        var code = row.ErrorCode == ErrorCodes.Timeout ? ErrorCodes.Timeout : ErrorCodes.InferenceFailed;
        var text = $"Inference failed on all {options.Value.MaxDequeueCount} attempts; last error: {lastError}";
        row.Attempts = Math.Max(row.Attempts, options.Value.MaxDequeueCount);
        await failures.RecordAsync(row, code, text, FailureStage.Poison, job.DecodedBlobs(), cancellationToken).ConfigureAwait(false);
        return new InferenceOutcome(job.JobId, InferenceStatus.Failed);
    }
}
