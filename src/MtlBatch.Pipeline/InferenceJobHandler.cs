using System.Diagnostics;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Inference.Processing;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace MtlBatch.Pipeline;

/// <summary>
/// Outcome of one delivery. <see cref="Deferred"/>: the model session's circuit was open, a copy of the message was
/// re-queued for after the break and this delivery does not count against the job. <see cref="Poisoned"/>: the job's
/// own failures reached <see cref="PipelineOptions.MaxDequeueCount"/> and the handler moved it to the poison queue.
/// </summary>
public enum InferenceStatus { Succeeded, AlreadySucceeded, Failed, Rejected, Deferred, Poisoned }

public sealed record InferenceOutcome(string? JobId, InferenceStatus Status);

/// <summary>
/// One <see cref="InferenceJob"/> from <c>inference-jobs</c>: decoded WAV -> <see cref="RecordingProcessor"/> (analysis, then the result
/// set through the results container's sink) -> ledger Succeeded -> events.
/// Exactly-once effect on at-least-once delivery:
/// <list type="number">
/// <item>ledger says Succeeded -> the message is a duplicate: acknowledge, do nothing;</item>
/// <item>result.json already committed by this job id (a crash after the commit) -> skip inference, finish the bookkeeping;</item>
/// <item>otherwise run, write the set with result.json last, publish events, then write Succeeded conditionally on the
/// ETag of our Running write, so of two overlapping deliveries only one records the outcome.</item>
/// </list>
/// Bad input (<see cref="MtlBatchException"/>) fails the job at once. An open circuit says nothing about the recording:
/// the delivery is deferred (a copy re-queued, invisible for the break duration) and not counted. Any other exception
/// propagates so the queue redelivers it; the delivery that reaches <see cref="PipelineOptions.MaxDequeueCount"/> of the
/// job's own failures moves it to the poison queue, where the poison handler records the failure.
/// </summary>
public sealed class InferenceJobHandler(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    ResultStore results,
    CompletionEventPublisher events,
    FailureRecorder failures,
    ISpeechAnalyzerSource analyzers,
    PipelineVoices voices,
    IOptions<AnalysisOptions> analysisOptions,
    IOptions<ResilienceOptions> resilienceOptions,
    IOptions<PipelineOptions> options,
    IOptions<RecordingFeatureOptions> features,
    ILogger<InferenceJobHandler> logger,
    ILogger<RecordingProcessor> processorLogger)
{
    public async Task<InferenceOutcome> HandleAsync(string message, long dequeueCount, CancellationToken cancellationToken)
    {
        var job = InferenceJob.TryParse(message);
        if (job is null)
        {
            // Not ours or corrupt: redelivery cannot fix it, and there is no recording to write an error for.
            logger.LogError("Dropping a message that is not an inference job ({Length} characters)", message.Length);
            return new InferenceOutcome(null, InferenceStatus.Rejected);
        }
        return await HandleAsync(job, dequeueCount, cancellationToken).ConfigureAwait(false);
    }

    public async Task<InferenceOutcome> HandleAsync(InferenceJob job, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var activity = PipelineTelemetry.ActivitySource.StartActivity("inference");
        activity?.SetTag("mtlbatch.recording", job.Recording);
        activity?.SetTag("mtlbatch.job_id", job.JobId);
        activity?.SetTag("mtlbatch.model_version", job.ModelVersion);
        activity?.SetTag("mtlbatch.delivery", dequeueCount);
        var row = await ledger.GetJobAsync(job.JobId, cancellationToken).ConfigureAwait(false);
        if (row?.QueuedAt is { } queuedAt) PipelineTelemetry.RecordQueueAge(StorageNames.InferenceQueue, queuedAt, DateTimeOffset.UtcNow);
        if (row?.GetState() == JobState.Succeeded)
        {
            logger.LogInformation("Job {JobId} ({Recording}) already succeeded; duplicate delivery ignored", job.JobId, job.Recording);
            // A worker killed between the Succeeded write and the clean-up leaves the decoded audio: finish that here.
            await DeleteDecodedAsync(job, cancellationToken).ConfigureAwait(false);
            return new InferenceOutcome(job.JobId, InferenceStatus.AlreadySucceeded);
        }
        if (row?.GetState() == JobState.Running)
        {
            // A delivery ends in Succeeded, Failed or (after a failed attempt or a deferral) Queued; Running means the
            // previous delivery never finished: its worker was killed, hung past its lease or was stopped mid-job.
            logger.LogWarning(
                "Job {JobId} ({Recording}) was left Running by a previous delivery (started {StartedAt:O}, attempt {Attempts}) whose lease expired without an outcome; retrying it (delivery {DequeueCount})",
                job.JobId, job.Recording, row.StartedAt, row.Attempts, dequeueCount);
        }
        row ??= new JobEntity
        {
            JobId = job.JobId, Recording = job.Recording, Upload = job.Upload, ContentSha256 = job.ContentSha256,
            ModelVersion = job.ModelVersion, DurationSeconds = job.DurationSeconds, QueuedAt = DateTimeOffset.UtcNow,
        };
        // The message's result version and reason name this delivery's events (repeats of one message share them).
        row.ResultVersion = job.Attempt;
        row.Reason = job.Reason;

        var attempt = job.DeliveryAttempt(dequeueCount);
        var committed = job.Force ? null : await results.GetCommittedAsync(job.Recording, cancellationToken).ConfigureAwait(false);
        row = await ledger.MarkRunningAsync(row, (int)attempt, cancellationToken).ConfigureAwait(false);
        if (committed?.JobId == job.JobId)
        {
            logger.LogInformation("Job {JobId} ({Recording}) had already committed its results; finishing the bookkeeping", job.JobId, job.Recording);
            row.ResultsPath = RecordingPaths.ResultsFolder(job.Recording);
            await CompleteAsync(job, row, cancellationToken).ConfigureAwait(false);
            return new InferenceOutcome(job.JobId, InferenceStatus.Succeeded);
        }
        return await RunAsync(job, row, attempt, cancellationToken).ConfigureAwait(false);
    }

    private async Task<InferenceOutcome> RunAsync(InferenceJob job, JobEntity row, long attempt, CancellationToken cancellationToken)
    {
        var work = Directory.CreateDirectory(Path.Combine(options.Value.WorkDirectory ?? Path.GetTempPath(), WorkFolders.JobPrefix + Guid.NewGuid().ToString("N")));
        try
        {
            var wav = Path.Combine(work.FullName, "decoded.wav");
            var channelWavs = job.DecodedChannelBlobs.Select((_, c) => Path.Combine(work.FullName, $"decoded.ch{c + 1}.wav")).ToList();
            try
            {
                foreach (var (blob, path) in job.DecodedChannelBlobs.Zip(channelWavs).Prepend((job.DecodedBlob, wav)))
                {
                    var decoded = storage.Decoded.GetBlobClient(blob);
                    await resilience.StorageAsync(async ct => { await decoded.DownloadToAsync(path, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // An overlapping delivery may have just finished and deleted it: that is success, not failure.
                if ((await ledger.GetJobAsync(job.JobId, cancellationToken).ConfigureAwait(false))?.GetState() == JobState.Succeeded)
                    return new InferenceOutcome(job.JobId, InferenceStatus.AlreadySucceeded);
                await FailAsync(job, row, ErrorCodes.Internal,
                    "The decoded audio for this job is gone (deleted after an earlier success or by retention); re-upload or reprocess the recording.",
                    cancellationToken).ConfigureAwait(false);
                return new InferenceOutcome(job.JobId, InferenceStatus.Failed);
            }

            var recording = new RecordingInfo
            {
                Name = job.Recording, DurationSeconds = job.DurationSeconds, SampleRate = job.SourceSampleRate,
                Channels = job.SourceChannels, Sha256 = job.ContentSha256,
            };

            // The recording's feature rule (channel roles, redaction, vocabulary) on top of the Analysis section.
            var analysis = features.Value.For(job.Recording, analysisOptions.Value);
            var audio = RecordingAudio.FromWavFiles(recording, wav, channelWavs);
            RecordingProcessor processor;
            AnalysisResult result;
            var clock = Stopwatch.StartNew();
            try
            {
                var analyzer = await analyzers.GetAnalyzerAsync(features.Value.Match(job.Recording)?.VocabularySelection, cancellationToken).ConfigureAwait(false);
                processor = new RecordingProcessor(analyzer, processorLogger);
                // The intake decoded one file per channel only when the recording's settings split it: the processor
                // decides from the same settings, as `mtlbatch analyze` does.
                result = await resilience.InferencePipeline.ExecuteAsync(async ct => await processor.AnalyzeAsync(audio, analysis, null, null, ct).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (MtlBatchException ex)
            {
                await FailAsync(job, row, ex.Code, ex.Message, cancellationToken).ConfigureAwait(false);
                return new InferenceOutcome(job.JobId, InferenceStatus.Failed);
            }
            catch (BrokenCircuitException ex)
            {
                // An open circuit says nothing about the recording: try it again after the break, uncounted, and keep
                // the model error that opened the circuit.
                await DeferAsync(job, row, attempt, "model session circuit is open; last model error: " +
                    (ex.InnerException?.Message ?? StripCircuitNote(row.ErrorMessage) ?? "unknown"), cancellationToken).ConfigureAwait(false);
                return new InferenceOutcome(job.JobId, InferenceStatus.Deferred);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var note = ex.GetType().Name + ": " + ex.Message;
                // The code is decided here, from the exception's type; the poison handler reads it from the ledger.
                var code = ex is TimeoutRejectedException ? ErrorCodes.Timeout : ErrorCodes.FromException(ex);
                logger.LogWarning("Job {JobId} ({Recording}) attempt {Attempt} of {MaxAttempts} failed ({ErrorCode}): {Error}",
                    job.JobId, job.Recording, attempt, options.Value.MaxDequeueCount, code, note);
                try { await ledger.NoteAttemptFailedAsync(row, code, note, CancellationToken.None).ConfigureAwait(false); }
                catch (RequestFailedException noteError) { logger.LogWarning("Could not note the failure in the ledger: {Error}", noteError.Message); }
                if (attempt < options.Value.MaxDequeueCount) throw;
                // The host counts only this copy's deliveries; the job's own count (earlier copies included) decides.
                await MoveToPoisonAsync(job, attempt, cancellationToken).ConfigureAwait(false);
                return new InferenceOutcome(job.JobId, InferenceStatus.Poisoned);
            }
            row.InferenceSeconds = clock.Elapsed.TotalSeconds;
            PipelineTelemetry.RecordStage(PipelineTelemetry.StageInference, clock.Elapsed);

            // Known voices (Voices:Enabled): compared under the model's own version, before the pipeline's label replaces it.
            result = await voices.ApplyAsync(result, cancellationToken).ConfigureAwait(false);

            // The pipeline's model version labels results (it differs from the model's metadata only when overridden).
            if (result.Model.Version != job.ModelVersion)
                result = result with { Model = result.Model with { Version = job.ModelVersion } };
            if (job.Warnings.Count > 0) result = result with { Warnings = job.Warnings };

            // The set (the redacted audio when asked, rendered from the mix, then the documents, result.json last) streamed into
            // the recording's results folder.
            var writeStart = Stopwatch.GetTimestamp();
            result = await processor.WriteAsync(result, audio, analysis, results.OpenSink(job.Recording, job.JobId, job.ModelVersion, work.FullName), work.FullName,
                cancellationToken).ConfigureAwait(false);
            PipelineTelemetry.RecordStage(PipelineTelemetry.StageWrite, Stopwatch.GetElapsedTime(writeStart));

            row.Device = result.Processing.Device;
            row.RealtimeFactor = result.Processing.RealtimeFactor;
            row.DurationSeconds = result.Recording.DurationSeconds;
            row.ResultsPath = RecordingPaths.ResultsFolder(job.Recording);
            await CompleteAsync(job, row, cancellationToken).ConfigureAwait(false);
            PipelineTelemetry.RecordSuccess(row.DurationSeconds);
            logger.LogInformation("Job {JobId} ({Recording}) succeeded on {Device}: {Duration:F1} s audio in {Seconds:F2} s ({Realtime:F1}x realtime)",
                job.JobId, job.Recording, row.Device, row.DurationSeconds, row.InferenceSeconds, row.RealtimeFactor);
            return new InferenceOutcome(job.JobId, InferenceStatus.Succeeded);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Re-queues a copy of the job, invisible until the circuit's break is over, carrying the job's own failures so
    /// far (this delivery is not one of them); the caller's success return then deletes this copy. A crash in between
    /// leaves two copies: the exactly-once rules make the second a no-op.
    /// </summary>
    private async Task DeferAsync(InferenceJob job, JobEntity row, long attempt, string note, CancellationToken cancellationToken)
    {
        var delay = resilienceOptions.Value.BreakerBreakDuration;
        var copy = job with { PriorFailures = (int)attempt - 1 };
        await resilience.StorageAsync(async ct =>
        {
            await storage.InferenceQueue.SendMessageAsync(copy.ToJson(), visibilityTimeout: delay, cancellationToken: ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        logger.LogWarning("Job {JobId} ({Recording}) deferred for {Delay} without counting the delivery ({Failures} failure(s) of its own so far): {Reason}",
            job.JobId, job.Recording, delay, copy.PriorFailures, note);
        row.Attempts = copy.PriorFailures;
        // The code of the job's own last failure stays (a deferral is none of its own).
        try { await ledger.NoteAttemptFailedAsync(row, row.ErrorCode ?? ErrorCodes.InferenceFailed, note, CancellationToken.None).ConfigureAwait(false); }
        catch (RequestFailedException noteError) { logger.LogWarning("Could not note the deferral in the ledger: {Error}", noteError.Message); }
    }

    private async Task MoveToPoisonAsync(InferenceJob job, long attempt, CancellationToken cancellationToken)
    {
        logger.LogError("Job {JobId} ({Recording}) failed {Attempts} times; moving it to the poison queue", job.JobId, job.Recording, attempt);
        await resilience.StorageAsync(async ct => { await storage.PoisonQueue.SendMessageAsync(job.ToJson(), ct).ConfigureAwait(false); }, cancellationToken)
            .ConfigureAwait(false);
    }

    private static string? StripCircuitNote(string? message)
    {
        const string Marker = "last model error: ";
        var i = message?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        return i >= 0 ? message![(i + Marker.Length)..] : message;
    }

    private async Task CompleteAsync(InferenceJob job, JobEntity row, CancellationToken cancellationToken)
    {
        row.CompletedAt = DateTimeOffset.UtcNow;
        row.State = nameof(JobState.Succeeded);
        // Events before the Succeeded write: a crash in between repeats the event (same id) rather than losing it.
        await events.PublishAsync(PipelineEvents.Succeeded(row, job.Warnings), cancellationToken).ConfigureAwait(false);
        if (!await ledger.TryMarkSucceededAsync(row, cancellationToken).ConfigureAwait(false))
            logger.LogWarning("Job {JobId} was updated by another delivery meanwhile; that delivery records the outcome", job.JobId);
        await DeleteDecodedAsync(job, cancellationToken).ConfigureAwait(false);
    }

    private Task DeleteDecodedAsync(InferenceJob job, CancellationToken cancellationToken) =>
        options.Value.DeleteDecodedAfterSuccess ? failures.DeleteDecodedAsync(job.DecodedBlobs(), cancellationToken) : Task.CompletedTask;

    private Task FailAsync(InferenceJob job, JobEntity row, string code, string message, CancellationToken cancellationToken) =>
        failures.RecordAsync(row, code, message, FailureStage.Inference, job.DecodedBlobs(), cancellationToken);
}
