using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>Options of one intake run.</summary>
public sealed record IntakeRequest
{
    /// <summary>Re-run even when the ledger says the upload (or its jobs) already succeeded with this model.</summary>
    public bool Force { get; init; }
    /// <summary>Submitted by the reprocess scheduler (the jobs' <see cref="InferenceJob.Reason"/> is <c>reprocess</c>, or <c>forced</c> with <see cref="Force"/>).</summary>
    public bool Reprocess { get; init; }
    public static IntakeRequest Default { get; } = new();

    public string Reason => Force ? SubmissionReasons.Forced : Reprocess ? SubmissionReasons.Reprocess : SubmissionReasons.New;
}

public enum IntakeStatus { Processed, AlreadyProcessed, NotFound }

/// <summary>What intake did with one upload.</summary>
public sealed record IntakeOutcome(string Upload, IntakeStatus Status, int Recordings, int Enqueued, int Duplicates, int Failed);

/// <summary>
/// Blob <c>recordings/{name}</c> -> decoded audio + inference jobs. Checks limits before expensive work, expands archives
/// into one job per audio entry (results mirror the entry paths), probes and decodes to 16 kHz mono WAV in the
/// <c>decoded</c> container, records the job as Queued and enqueues an <see cref="InferenceJob"/>.
/// Bad input ends in error.json + ledger Failed + a failure event (<see cref="FailureRecorder"/>), never silently. Transient storage errors propagate
/// (the trigger retries); everything is idempotent, so a retried or duplicated trigger never redoes finished work.
/// </summary>
public sealed class RecordingIntakeHandler(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    FailureRecorder failures,
    RecordingMedia media,
    ModelVersionProvider versions,
    IOptions<InputLimits> limits,
    IOptions<PipelineOptions> options,
    IOptions<AnalysisOptions> analysisOptions,
    IOptions<RecordingFeatureOptions> features,
    ILogger<RecordingIntakeHandler> logger)
{
    /// <summary>
    /// A message on <c>intake-jobs</c> (<see cref="IntakeWork"/>, enqueued by reprocessing); null when it is not one (logged,
    /// dropped). On the last delivery <see cref="PipelineOptions.MaxDequeueCount"/> allows, a failure is first recorded on
    /// the upload (<see cref="RecordGivenUpAsync"/>), then rethrown so the queue moves the message to its poison queue.
    /// </summary>
    public async Task<IntakeOutcome?> HandleQueuedAsync(string message, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IntakeWork.TryParse(message) is not { } work)
        {
            logger.LogError("Dropping a message that is not an intake request ({Length} characters)", message.Length);
            return null;
        }
        try
        {
            return await HandleAsync(work.Upload, work.ToRequest(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (dequeueCount >= options.Value.MaxDequeueCount && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            await RecordGivenUpAsync(work.Upload, work.ToRequest(), ex, dequeueCount, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A message on the host's <c>webjobs-blobtrigger-poison</c> queue: the blob trigger ran the intake of an upload
    /// <c>blobs.poisonBlobThreshold</c> times and failed every time. Recorded like a queued intake's give-up
    /// (<see cref="RecordGivenUpAsync"/>) unless the message is stale: another container, a blob replaced since (its new
    /// version has its own trigger), gone, or already processed for this version. Returns whether it recorded a failure.
    /// </summary>
    public async Task<bool> HandleBlobTriggerGivenUpAsync(string message, CancellationToken cancellationToken)
    {
        if (BlobTriggerPoisonMessage.TryParse(message) is not { } poison)
        {
            logger.LogError("Dropping a message on the blob-trigger poison queue that is not a blob-trigger message ({Length} characters)", message?.Length ?? 0);
            return false;
        }
        if (!string.Equals(poison.ContainerName, storage.Recordings.Name, StringComparison.Ordinal))
        {
            logger.LogWarning("Blob-trigger poison message for {Container}/{Blob} ({Function}) is not an upload; ignored", poison.ContainerName, poison.BlobName, poison.FunctionId);
            return false;
        }
        var upload = poison.BlobName;
        if (await CurrentETagAsync(upload, cancellationToken).ConfigureAwait(false) is not { } etag)
        {
            logger.LogWarning("Upload {Upload} no longer exists; its failed blob-triggered intake is not recorded", upload);
            return false;
        }
        if (poison.ETag.Length > 0 && JobLedger.NormalizeETag(new ETag(poison.ETag)) != etag)
        {
            logger.LogInformation("Upload {Upload} was replaced after its blob-triggered intake gave up ({Old} -> {New}); the new version is handled by its own trigger",
                upload, poison.ETag, etag);
            return false;
        }
        var previous = await ledger.GetUploadAsync(upload, cancellationToken).ConfigureAwait(false);
        if (previous is not null && previous.BlobETag == etag)
        {
            logger.LogInformation("Upload {Upload} ({ETag}) already has its records; blob-trigger poison message ignored", upload, etag);
            return false;
        }
        await RecordGivenUpAsync(upload, etag, IntakeRequest.Default,
            new MtlBatchException(ErrorCodes.Internal, $"the Functions host's blob trigger ({poison.FunctionId}) failed on every attempt; the cause is in that function's logs"),
            options.Value.MaxDequeueCount, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// An upload whose intake failed on every allowed attempt for a reason that is not the input's (a storage outage,
    /// a crash): recorded as the upload's failure — <c>error.json</c>, a Failed ledger row and a failure event, code
    /// <see cref="ErrorCodes.Internal"/> — so that it ends in an error record instead of nothing, and the upload row is
    /// written so that it is not picked up again until it changes or is reprocessed.
    /// </summary>
    public async Task RecordGivenUpAsync(string upload, IntakeRequest? request, Exception error, long attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(error);
        if (await CurrentETagAsync(upload, cancellationToken).ConfigureAwait(false) is not { } etag)
        {
            logger.LogWarning("Upload {Upload} no longer exists; its failed intake is not recorded", upload);
            return;
        }
        await RecordGivenUpAsync(upload, etag, request ?? IntakeRequest.Default, error, attempts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The upload's current ETag (normalised), or null when the blob no longer exists.</summary>
    private async Task<string?> CurrentETagAsync(string upload, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await resilience.StorageAsync(async ct => (await storage.Recordings.GetBlobClient(upload).GetPropertiesAsync(cancellationToken: ct)
                .ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
            return JobLedger.NormalizeETag(properties.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task RecordGivenUpAsync(string upload, string etag, IntakeRequest request, Exception error, long attempts, CancellationToken cancellationToken)
    {
        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        logger.LogError("Giving up on the intake of {Upload} after {Attempts} failed attempts: {Error}", upload, attempts, error.Message);
        var summary = new UploadEntity { Upload = upload, BlobETag = etag, ModelVersion = modelVersion, Recordings = 1 };
        var code = error is MtlBatchException m ? m.Code : ErrorCodes.Internal;
        await FailNewJobAsync(summary, upload, IntakeRules.RejectedUploadKey(etag), code,
            $"Intake failed {attempts} times and was given up ({error.GetType().Name}: {error.Message}); reprocess the upload (with --force for the same model) to try again.",
            request, cancellationToken).ConfigureAwait(false);
        // Not FinishAsync: that marks an upload whose recordings all failed as bad input, which reprocessing skips for good;
        // this failure was the pipeline's, so a reprocess (a new model, or --force) tries the upload again.
        summary.InputError = false;
        await ledger.SaveUploadAsync(summary, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IntakeOutcome> HandleAsync(string upload, IntakeRequest? request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        request ??= IntakeRequest.Default;
        using var activity = PipelineTelemetry.ActivitySource.StartActivity("intake");
        activity?.SetTag("mtlbatch.upload", upload);
        activity?.SetTag("mtlbatch.reason", request.Reason);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await IntakeAsync(upload, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            PipelineTelemetry.RecordStage(PipelineTelemetry.StageIntake, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task<IntakeOutcome> IntakeAsync(string upload, IntakeRequest request, CancellationToken cancellationToken)
    {
        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        var blob = storage.Recordings.GetBlobClient(upload);

        BlobProperties properties;
        try
        {
            properties = await resilience.StorageAsync(async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            logger.LogWarning("Upload {Upload} no longer exists; nothing to do", upload);
            return new IntakeOutcome(upload, IntakeStatus.NotFound, 0, 0, 0, 0);
        }

        var blobETag = JobLedger.NormalizeETag(properties.ETag);
        var previous = await ledger.GetUploadAsync(upload, cancellationToken).ConfigureAwait(false);
        if (!request.Force && previous is not null && previous.BlobETag == blobETag && (previous.ModelVersion == modelVersion || previous.InputError))
        {
            logger.LogInformation("Upload {Upload} ({ETag}) was already processed for model {ModelVersion}; skipping", upload, blobETag, modelVersion);
            return new IntakeOutcome(upload, IntakeStatus.AlreadyProcessed, previous.Recordings, 0, previous.Recordings, 0);
        }

        var summary = new UploadEntity { Upload = upload, BlobETag = blobETag, ModelVersion = modelVersion };
        var work = Directory.CreateDirectory(Path.Combine(options.Value.WorkDirectory ?? Path.GetTempPath(), WorkFolders.IntakePrefix + Guid.NewGuid().ToString("N")));
        try
        {
            var uploadProblem = IntakeRules.UploadProblem(upload, properties.ContentLength, limits.Value);
            if (uploadProblem is not null)
            {
                await RejectUploadAsync(summary, IntakeRules.RejectedUploadKey(blobETag), uploadProblem, request, cancellationToken).ConfigureAwait(false);
                return await FinishAsync(summary, cancellationToken).ConfigureAwait(false);
            }

            var localFile = Path.Combine(work.FullName, LocalName(upload));
            await resilience.StorageAsync(async ct => { await blob.DownloadToAsync(localFile, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);

            if (RecordingMedia.IsArchive(upload))
            {
                // Each item is disposed only after the next one was extracted: disposing deletes the entry's temp file
                // and, once empty, the shared extraction folder that the expander still writes the next entry into.
                AudioInput? pending = null;
                try
                {
                    await foreach (var entry in media.ExpandArchiveAsync(localFile, upload, cancellationToken).ConfigureAwait(false))
                    {
                        pending?.Dispose();
                        pending = entry;
                        summary.Recordings++;
                        if (entry.Error is { } entryError)
                        {
                            // A broken archive is the upload's failure; a bad entry is that entry's.
                            var key = await IntakeRules.EntryErrorKeyAsync(entry, upload, localFile, cancellationToken).ConfigureAwait(false);
                            summary.InputError |= entry.RelativeName == upload;
                            await FailNewJobAsync(summary, entry.RelativeName, key, entryError.Code, entryError.Message, request, cancellationToken).ConfigureAwait(false);
                            continue;
                        }
                        await ProcessRecordingAsync(summary, entry.RelativeName, entry.LocalPath!, modelVersion, request, work.FullName, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    pending?.Dispose();
                }
            }
            else
            {
                summary.Recordings = 1;
                await ProcessRecordingAsync(summary, upload, localFile, modelVersion, request, work.FullName, cancellationToken).ConfigureAwait(false);
            }
            return await FinishAsync(summary, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(work);
        }
    }

    /// <summary>The upload row is written last, only after every job was queued or failed: it is what makes a re-delivery a no-op.</summary>
    private async Task<IntakeOutcome> FinishAsync(UploadEntity summary, CancellationToken cancellationToken)
    {
        // Every recording was unusable input: a new model version cannot change that, so reprocessing skips it.
        summary.InputError |= summary.Recordings > 0 && summary.Failed == summary.Recordings;
        await ledger.SaveUploadAsync(summary, cancellationToken).ConfigureAwait(false);
        var duplicates = summary.Recordings - summary.Enqueued - summary.Failed;
        logger.LogInformation("Upload {Upload}: {Recordings} recording(s), {Enqueued} enqueued, {Duplicates} already done, {Failed} failed",
            summary.Upload, summary.Recordings, summary.Enqueued, duplicates, summary.Failed);
        return new IntakeOutcome(summary.Upload, IntakeStatus.Processed, summary.Recordings, summary.Enqueued, duplicates, summary.Failed);
    }

    private async Task ProcessRecordingAsync(UploadEntity summary, string recording, string file, string modelVersion, IntakeRequest request,
        string work, CancellationToken cancellationToken)
    {
        var sha = await RecordingMedia.Sha256Async(file, cancellationToken).ConfigureAwait(false);
        var jobId = JobLedger.ComputeJobId(recording, sha, modelVersion);
        var existing = await ledger.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (!request.Force && existing?.GetState() == JobState.Succeeded)
        {
            logger.LogInformation("Job {JobId} for {Recording} already succeeded; not running it again", jobId, recording);
            return;
        }

        var job = new JobEntity
        {
            JobId = jobId, Recording = recording, Upload = summary.Upload, ContentSha256 = sha, ModelVersion = modelVersion, QueuedAt = DateTimeOffset.UtcNow,
            ResultVersion = JobLedger.NextResultVersion(existing), Reason = request.Reason,
        };
        // Decoded blobs written so far: a failure after them (e.g. a channel that does not decode) deletes them again.
        var uploaded = new List<string>();
        try
        {
            if (RecordingPaths.Problem(recording, limits.Value.MaxNameLength) is { } nameProblem)
                throw new MtlBatchException(ErrorCodes.UnsafeName, $"The recording name cannot be used: {nameProblem}.");

            var wav = Path.Combine(work, jobId + ".wav");
            var clock = Stopwatch.StartNew();
            var decoded = await media.DecodeToWavAsync(file, wav, cancellationToken).ConfigureAwait(false);
            job.DecodeSeconds = clock.Elapsed.TotalSeconds;
            PipelineTelemetry.RecordStage(PipelineTelemetry.StageDecode, clock.Elapsed);
            job.DurationSeconds = decoded.DurationSeconds;
            var truncated = RecordingMedia.TruncationWarning(decoded, options.Value.TruncationToleranceSeconds, options.Value.TruncationToleranceRatio);
            if (truncated is not null)
                logger.LogWarning("Recording {Recording} is truncated: {DecodedSeconds:F1} s decoded of {DeclaredSeconds:F1} s declared",
                    recording, decoded.DurationSeconds, decoded.DeclaredDurationSeconds);

            var decodedBlob = jobId + ".wav";
            await UploadDecodedAsync(decodedBlob, wav, uploaded, cancellationToken).ConfigureAwait(false);

            // Split channels (the recording's feature rule): one more decode per channel, each analysed as one speaker.
            var channelBlobs = new List<string>();
            if (features.Value.For(recording, analysisOptions.Value).Channels == ChannelMode.Split)
            {
                if (decoded.SourceChannels < 2)
                    logger.LogWarning("Recording {Recording} has {Channels} channel(s); split channels need two or more, analysing it mixed", recording, decoded.SourceChannels);
                for (var c = 0; c < decoded.SourceChannels && decoded.SourceChannels > 1; c++)
                {
                    var channelWav = Path.Combine(work, $"{jobId}.ch{c + 1}.wav");
                    await media.DecodeChannelToWavAsync(file, c, channelWav, cancellationToken).ConfigureAwait(false);
                    await UploadDecodedAsync(Path.GetFileName(channelWav), channelWav, uploaded, cancellationToken).ConfigureAwait(false);
                    channelBlobs.Add(Path.GetFileName(channelWav));
                }
                job.DecodeSeconds = clock.Elapsed.TotalSeconds;
            }

            var message = new InferenceJob
            {
                JobId = jobId,
                Recording = recording,
                Upload = summary.Upload,
                ContentSha256 = sha,
                ModelVersion = modelVersion,
                Attempt = job.ResultVersion,
                Force = request.Force,
                Reason = request.Reason,
                Warnings = truncated is null ? [] : [truncated],
                DecodedBlob = decodedBlob,
                DecodedChannelBlobs = channelBlobs,
                DurationSeconds = decoded.DurationSeconds,
                SourceSampleRate = decoded.SourceSampleRate,
                SourceChannels = decoded.SourceChannels,
            };
            // Ledger first, then the message: a crash in between leaves a Queued row without a message, which the
            // retried trigger (or the reprocess scheduler) re-enqueues; the reverse order could let a fast worker's
            // Running be overwritten by a late Queued.
            await ledger.MarkQueuedAsync(job, cancellationToken).ConfigureAwait(false);
            await resilience.StorageAsync(async ct => { await storage.InferenceQueue.SendMessageAsync(message.ToJson(), ct).ConfigureAwait(false); }, cancellationToken)
                .ConfigureAwait(false);
            summary.Enqueued++;
            logger.LogInformation("Queued job {JobId} for {Recording} ({Duration:F1} s audio, decoded in {DecodeSeconds:F2} s)",
                jobId, recording, decoded.DurationSeconds, job.DecodeSeconds);
        }
        catch (MtlBatchException ex)
        {
            summary.Failed++;
            await failures.RecordAsync(job, ex.Code, ex.Message, FailureStage.Intake, uploaded, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task UploadDecodedAsync(string blobName, string path, List<string> uploaded, CancellationToken cancellationToken)
    {
        var target = storage.Decoded.GetBlobClient(blobName);
        uploaded.Add(blobName);
        await resilience.StorageAsync(async ct => { await target.UploadAsync(path, overwrite: true, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
    }

    private Task RejectUploadAsync(UploadEntity summary, string contentKey, MtlBatchException error, IntakeRequest request, CancellationToken cancellationToken)
    {
        summary.Recordings = Math.Max(summary.Recordings, 1);
        summary.InputError = true;
        return FailNewJobAsync(summary, summary.Upload, contentKey, error.Code, error.Message, request, cancellationToken);
    }

    /// <summary>Records a recording that never got a job (unusable upload, archive or entry) as a Failed job with error.json.</summary>
    private async Task FailNewJobAsync(UploadEntity summary, string recording, string contentKey, string code, string message, IntakeRequest request,
        CancellationToken cancellationToken)
    {
        summary.Failed++;
        var jobId = JobLedger.ComputeJobId(recording, contentKey, summary.ModelVersion);
        var existing = await ledger.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        var job = new JobEntity
        {
            JobId = jobId,
            ResultVersion = JobLedger.NextResultVersion(existing),
            Reason = request.Reason,
            Recording = recording,
            Upload = summary.Upload,
            ContentSha256 = contentKey.Length == 64 ? contentKey : "",
            ModelVersion = summary.ModelVersion,
            QueuedAt = DateTimeOffset.UtcNow,
        };
        await failures.RecordAsync(job, code, message, FailureStage.Intake, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The upload's own file name when it is plain (ffmpeg messages then name it), else a neutral name with its extension.</summary>
    private static string LocalName(string upload)
    {
        var file = upload[(upload.LastIndexOf('/') + 1)..];
        if (file.Length is > 0 and <= 120 && file.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ' ') && !file.StartsWith('.')) return file;
        var ext = upload.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) ? ".tar.gz" : Path.GetExtension(file);
        return "upload" + (ext.Length is > 1 and <= 10 && ext.Skip(1).All(c => char.IsAsciiLetterOrDigit(c) || c == '.') ? ext.ToLowerInvariant() : "");
    }

    private void TryDelete(DirectoryInfo dir)
    {
        try { dir.Delete(recursive: true); }
        catch (IOException ex) { logger.LogWarning("Could not delete work folder {Folder}: {Error}", dir.FullName, ex.Message); }
        catch (UnauthorizedAccessException ex) { logger.LogWarning("Could not delete work folder {Folder}: {Error}", dir.FullName, ex.Message); }
    }
}

/// <summary>Builds completion events from ledger rows.</summary>
public static class PipelineEvents
{
    public static CompletionEvent Succeeded(JobEntity job, IReadOnlyList<ResultWarning> warnings) => Create(job, PipelineEventTypes.Succeeded, warnings);
    public static CompletionEvent Failed(JobEntity job) => Create(job, PipelineEventTypes.Failed, []);

    /// <summary>
    /// <c>{jobId}-{modelVersion}-{resultVersion}-{succeeded|failed}</c>: repeats of one outcome share it (consumers
    /// deduplicate on it), every new result of the same recording gets a new one.
    /// </summary>
    public static string EventId(JobEntity job, string type) =>
        $"{job.JobId}-{job.ModelVersion}-{Math.Max(1, job.ResultVersion)}-{(type == PipelineEventTypes.Succeeded ? "succeeded" : "failed")}";

    private static CompletionEvent Create(JobEntity job, string type, IReadOnlyList<ResultWarning> warnings) => new()
    {
        Id = EventId(job, type),
        Attempt = Math.Max(1, job.ResultVersion),
        Reason = job.Reason ?? SubmissionReasons.New,
        Warnings = warnings,
        Type = type,
        JobId = job.JobId,
        Recording = job.Recording,
        State = type == PipelineEventTypes.Succeeded ? nameof(JobState.Succeeded) : nameof(JobState.Failed),
        ModelVersion = job.ModelVersion,
        ResultsPath = RecordingPaths.ResultsFolder(job.Recording) + "/",
        Device = job.Device,
        DurationSeconds = job.DurationSeconds,
        ErrorCode = job.ErrorCode,
        ErrorMessage = job.ErrorMessage,
        CompletedAt = job.CompletedAt ?? DateTimeOffset.UtcNow,
    };
}
