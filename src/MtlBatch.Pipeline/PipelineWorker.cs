using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>The local worker could not start (e.g. its model does not load); the message says why.</summary>
public sealed class WorkerStartupException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>Counters of one local worker run.</summary>
public sealed class WorkerReport
{
    private int _uploads, _rejected, _intakeGivenUp, _succeeded, _duplicates, _failed, _retried, _deferred, _poisoned, _poisonHandled, _poisonFailed;
    private int _reprocessPasses, _reprocessResubmitted, _reprocessFailed, _scanPages;
    public int UploadsProcessed => _uploads;
    /// <summary>Recordings (uploads or archive entries) that intake rejected with an error record.</summary>
    public int RecordingsRejected => _rejected;
    /// <summary>Uploads whose intake kept failing (not bad input: e.g. storage) until the worker gave up on them.</summary>
    public int UploadsGivenUp => _intakeGivenUp;
    public int JobsSucceeded => _succeeded;
    public int JobsSkippedAsDuplicate => _duplicates;
    public int JobsFailed => _failed;
    public int DeliveriesRetried => _retried;
    /// <summary>Deliveries put back untried because the model session's circuit was open (they do not count towards poison).</summary>
    public int DeliveriesDeferred => _deferred;
    public int MovedToPoison => _poisoned;
    public int PoisonHandled => _poisonHandled;
    /// <summary>Poisoned jobs recorded as Failed (error.json, ledger, event).</summary>
    public int PoisonedJobsFailed => _poisonFailed;

    /// <summary>Scheduled reprocessing passes run (<see cref="WorkerOptions.RunReprocessSchedule"/>).</summary>
    public int ReprocessPasses => _reprocessPasses;
    /// <summary>Uploads those passes put on <c>intake-jobs</c> (results made by another model version, missing results, changed uploads).</summary>
    public int ReprocessUploadsResubmitted => _reprocessResubmitted;
    /// <summary>Pages of reprocess batches scanned (<c>reprocess-scans</c> messages, e.g. from <c>POST /api/reprocess</c>).</summary>
    public int ReprocessScanPages => _scanPages;
    /// <summary>Scheduled passes that failed (e.g. storage); the next occurrence of the schedule tries again.</summary>
    public int ReprocessPassesFailed => _reprocessFailed;

    /// <summary>
    /// Everything this run handled that ended in a failure: rejected recordings, failed and poisoned jobs, abandoned
    /// uploads, failed reprocessing passes.
    /// </summary>
    public int Failures => RecordingsRejected + UploadsGivenUp + JobsFailed + PoisonedJobsFailed + ReprocessPassesFailed;

    internal void Upload(IntakeOutcome outcome)
    {
        Interlocked.Increment(ref _uploads);
        Interlocked.Add(ref _rejected, outcome.Failed);
    }
    internal void IntakeGivenUp() => Interlocked.Increment(ref _intakeGivenUp);
    internal void Job(InferenceStatus status)
    {
        switch (status)
        {
            case InferenceStatus.Succeeded: Interlocked.Increment(ref _succeeded); break;
            case InferenceStatus.AlreadySucceeded: Interlocked.Increment(ref _duplicates); break;
            case InferenceStatus.Deferred: Interlocked.Increment(ref _deferred); break;
            case InferenceStatus.Poisoned: Interlocked.Increment(ref _poisoned); break;
            default: Interlocked.Increment(ref _failed); break;
        }
    }
    internal void Retry() => Interlocked.Increment(ref _retried);
    internal void Reprocessed(IReadOnlyList<ReprocessReport> reports)
    {
        Interlocked.Increment(ref _reprocessPasses);
        Interlocked.Add(ref _reprocessResubmitted, reports.Sum(r => r.Resubmitted));
    }
    internal void Scanned(ScanOutcome outcome)
    {
        if (outcome.Status == ScanStatus.Scanned) Interlocked.Increment(ref _scanPages);
    }
    internal void ReprocessFailed() => Interlocked.Increment(ref _reprocessFailed);

    internal void Poison() => Interlocked.Increment(ref _poisoned);
    internal void PoisonDone(InferenceOutcome outcome)
    {
        Interlocked.Increment(ref _poisonHandled);
        if (outcome.Status == InferenceStatus.Failed) Interlocked.Increment(ref _poisonFailed);
    }

    public override string ToString() =>
        $"uploads {UploadsProcessed}, recordings rejected {RecordingsRejected}, uploads given up {UploadsGivenUp}, jobs succeeded {JobsSucceeded}, " +
        $"duplicates skipped {JobsSkippedAsDuplicate}, failed {JobsFailed}, retried deliveries {DeliveriesRetried}, deferred deliveries {DeliveriesDeferred}, " +
        $"moved to poison {MovedToPoison}, poison handled {PoisonHandled} ({PoisonedJobsFailed} failed), " +
        $"reprocess passes {ReprocessPasses} ({ReprocessUploadsResubmitted} uploads resubmitted, {ReprocessPassesFailed} failed), reprocess scan pages {ReprocessScanPages}; failures {Failures}";
}

/// <summary>
/// The local stand-in for the Functions host (<c>mtlbatch worker</c>): polls <c>recordings</c> for new or changed
/// blobs (an upload counts as done when its ledger row has the blob's ETag, so restarts do not redo work), and polls
/// <c>reprocess-scans</c>, <c>intake-jobs</c>, <c>inference-jobs</c> and <c>inference-jobs-poison</c> with the host's
/// semantics: a failed delivery becomes visible again after <see cref="WorkerOptions.RetryDelay"/>, and after
/// <see cref="PipelineOptions.MaxDequeueCount"/> failed deliveries an inference job moves to the poison queue (a scan or
/// intake message is dropped with an error line). Intake and inference interleave: every round runs at most
/// <see cref="WorkerOptions.MaxConcurrentJobs"/> uploads through intake, then at most as many inference jobs, so the
/// first results come while a large batch is still being decoded. Same handlers as the function classes.
/// </summary>
public sealed class PipelineWorker(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    RecordingIntakeHandler intake,
    InferenceJobHandler inference,
    PoisonJobHandler poison,
    ReprocessScheduler reprocess,
    ISpeechAnalyzerSource analyzers,
    IOptions<WorkerOptions> workerOptions,
    IOptions<PipelineOptions> pipelineOptions,
    IOptions<ReprocessOptions> reprocessOptions,
    TimeProvider time,
    ILogger<PipelineWorker> logger)
{
    private readonly ConcurrentDictionary<string, string> _seenUploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _uploadFailures = new(StringComparer.Ordinal);
    /// <summary>New or changed uploads found by the last listing and not yet through intake (listed again when empty).</summary>
    private readonly Queue<(string Name, string ETag)> _pendingUploads = new();

    private enum QueueKind { Scan, Intake, Inference, Poison }

    /// <summary>
    /// Runs until cancelled, or with <paramref name="once"/> until there is nothing left to do (no new uploads and
    /// both queues empty, including messages waiting for a retry).
    /// </summary>
    public async Task<WorkerReport> RunAsync(bool once, CancellationToken cancellationToken)
    {
        var report = new WorkerReport();
        WorkFolders.SweepStale(pipelineOptions.Value.WorkDirectory ?? Path.GetTempPath(), workerOptions.Value.StaleWorkFolderAge, DateTimeOffset.UtcNow, logger);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        // The model is loaded before the first poll, so the start-up line can say what will run where (and a broken model
        // stops the worker now rather than failing every job).
        ISpeechAnalyzer analyzer;
        try
        {
            analyzer = await analyzers.GetAnalyzerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new WorkerStartupException($"The model could not be loaded: {ex.Message}", ex);
        }
        logger.LogInformation(
            "Worker started: storage {StorageEndpoint}, model {ModelName} {ModelVersion} ({ModelSha}), device: {Device} (once: {Once}, poll interval {PollInterval}, concurrent jobs {Concurrency})",
            StorageEndpoint(storage.BlobService.Uri), analyzer.Model.Name, analyzer.Model.Version, analyzer.Model.Sha256[..Math.Min(12, analyzer.Model.Sha256.Length)],
            analyzer.Device, once, workerOptions.Value.PollInterval, workerOptions.Value.MaxConcurrentJobs);
        // Like the Functions app's ReprocessOnSchedule timer, plus one pass at start-up: a worker started with another
        // model version (--model-version, a new model file) re-runs what the previous one made.
        var schedule = workerOptions.Value.RunReprocessSchedule
            ? ReprocessSchedule.TryParse(reprocessOptions.Value.Schedule) ?? throw new WorkerStartupException(
                $"Reprocess:Schedule = {reprocessOptions.Value.Schedule}: not a six-field NCRONTAB expression", new FormatException(reprocessOptions.Value.Schedule))
            : null;
        DateTimeOffset? nextReprocess = schedule is null ? null : time.GetUtcNow();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var work = await PollUploadsAsync(report, cancellationToken).ConfigureAwait(false);
                // Once the uploads the poll found are all through intake, so they go as new (reason "new"), not as reprocessing.
                if (nextReprocess is { } due && _pendingUploads.Count == 0 && time.GetUtcNow() >= due)
                {
                    await RunReprocessPassAsync(report, cancellationToken).ConfigureAwait(false);
                    nextReprocess = ReprocessSchedule.Next(schedule!, time.GetUtcNow());
                    logger.LogInformation("Next scheduled reprocessing pass at {NextReprocess:O}", nextReprocess);
                }
                // One round of each: a scan page, a few queued intakes, a few inference jobs (interleaved), then poison.
                work += await DrainQueueAsync(storage.ReprocessQueue, QueueKind.Scan, report, rounds: 1, cancellationToken).ConfigureAwait(false);
                work += await DrainQueueAsync(storage.IntakeQueue, QueueKind.Intake, report, rounds: 1, cancellationToken).ConfigureAwait(false);
                work += await DrainQueueAsync(storage.InferenceQueue, QueueKind.Inference, report, rounds: 1, cancellationToken).ConfigureAwait(false);
                work += await DrainQueueAsync(storage.PoisonQueue, QueueKind.Poison, report, rounds: int.MaxValue, cancellationToken).ConfigureAwait(false);
                if (work > 0 || _pendingUploads.Count > 0) continue;
                if (once && await QueuesEmptyAsync(cancellationToken).ConfigureAwait(false)) break;
                await Task.Delay(workerOptions.Value.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Worker stopping: cancellation requested");
        }
        logger.LogInformation("Worker finished: {Report}", report.ToString());
        return report;
    }

    /// <summary>One pass of the scheduled reprocessing (pending HTTP scopes, then the whole container), as the timer runs it.</summary>
    internal async Task RunReprocessPassAsync(WorkerReport report, CancellationToken cancellationToken)
    {
        try
        {
            var reports = await reprocess.RunScheduledAsync(cancellationToken).ConfigureAwait(false);
            report.Reprocessed(reports);
            logger.LogInformation("Scheduled reprocessing: {Scopes} scope(s), {Stale} stale upload(s), {Resubmitted} upload(s) queued for intake",
                reports.Count, reports.Sum(r => r.Stale), reports.Sum(r => r.Resubmitted));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            report.ReprocessFailed();
            logger.LogError(ex, "Scheduled reprocessing failed; the next occurrence of the schedule tries again");
        }
    }

    /// <summary>The blob endpoint without its query: a SAS token must not reach the logs (an account key never is in the URI).</summary>
    internal static string StorageEndpoint(Uri blobService) => blobService.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>
    /// Runs intake for at most <see cref="WorkerOptions.MaxConcurrentJobs"/> uploads not yet processed in their current
    /// version (ETag); the rest wait in the pending list for the next rounds. Returns how many went through intake.
    /// </summary>
    internal async Task<int> PollUploadsAsync(WorkerReport report, CancellationToken cancellationToken)
    {
        if (_pendingUploads.Count == 0)
        {
            var fresh = await resilience.StorageAsync(async ct =>
            {
                var list = new List<(string Name, string ETag)>();
                await foreach (var blob in storage.Recordings.GetBlobsAsync(cancellationToken: ct).ConfigureAwait(false))
                {
                    var etag = JobLedger.NormalizeETag(blob.Properties.ETag);
                    if (!_seenUploads.TryGetValue(blob.Name, out var seen) || seen != etag) list.Add((blob.Name, etag));
                }
                return list;
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in fresh) _pendingUploads.Enqueue(item);
        }

        var processed = 0;
        var limit = Math.Max(1, workerOptions.Value.MaxConcurrentJobs);
        while (processed < limit && _pendingUploads.TryDequeue(out var pending))
        {
            var (name, etag) = pending;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // Like the blob trigger's receipts: a blob version seen before is not new, whatever the model version
                // (re-running old uploads for a new model is the throttled reprocess scheduler's job).
                var row = await ledger.GetUploadAsync(name, cancellationToken).ConfigureAwait(false);
                if (row?.BlobETag == etag)
                {
                    _seenUploads[name] = etag;
                    continue;
                }
                processed++;
                var outcome = await intake.HandleAsync(name, IntakeRequest.Default, cancellationToken).ConfigureAwait(false);
                _seenUploads[name] = etag;
                if (outcome.Status == IntakeStatus.Processed) report.Upload(outcome);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Like the host's blob-trigger retries: try again on the next polls, give up after MaxDequeueCount.
                var failures = _uploadFailures.AddOrUpdate(name, 1, (_, n) => n + 1);
                logger.LogError(ex, "Intake of {Upload} failed (attempt {Attempt})", name, failures);
                if (failures >= pipelineOptions.Value.MaxDequeueCount)
                {
                    // The upload still ends in an error record (nothing is lost silently); if even that fails, the next
                    // start of the worker tries the upload again.
                    try
                    {
                        await intake.RecordGivenUpAsync(name, IntakeRequest.Default, ex, failures, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception recordError) when (recordError is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        logger.LogError(recordError, "Could not record the failed intake of {Upload}", name);
                    }
                    _seenUploads[name] = etag;
                    report.IntakeGivenUp();
                }
            }
        }
        return processed;
    }

    /// <summary>
    /// Receives and handles up to <paramref name="rounds"/> batches of <see cref="WorkerOptions.MaxConcurrentJobs"/>
    /// messages (fewer when the queue has none visible); returns how many were handled.
    /// </summary>
    private async Task<int> DrainQueueAsync(Azure.Storage.Queues.QueueClient queue, QueueKind kind, WorkerReport report, int rounds, CancellationToken cancellationToken)
    {
        var o = workerOptions.Value;
        var handled = 0;
        for (var round = 0; round < rounds; round++)
        {
            var messages = await resilience.StorageAsync(async ct =>
                (await queue.ReceiveMessagesAsync(Math.Clamp(o.MaxConcurrentJobs, 1, 32), o.MessageLease, ct).ConfigureAwait(false)).Value, cancellationToken)
                .ConfigureAwait(false);
            if (messages.Length == 0) return handled;
            await Task.WhenAll(messages.Select(m => HandleMessageAsync(queue, m, kind, report, cancellationToken))).ConfigureAwait(false);
            handled += messages.Length;
        }
        return handled;
    }

    private async Task HandleAsync(QueueKind kind, QueueMessage message, WorkerReport report, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case QueueKind.Scan:
                report.Scanned(await reprocess.HandleScanAsync(message.MessageText, cancellationToken).ConfigureAwait(false));
                break;
            case QueueKind.Intake:
                if (await intake.HandleQueuedAsync(message.MessageText, message.DequeueCount, cancellationToken).ConfigureAwait(false) is { Status: IntakeStatus.Processed } outcome)
                    report.Upload(outcome);
                break;
            case QueueKind.Inference:
                report.Job((await inference.HandleAsync(message.MessageText, message.DequeueCount, cancellationToken).ConfigureAwait(false)).Status);
                break;
            default:
                report.PoisonDone(await poison.HandleAsync(message.MessageText, cancellationToken).ConfigureAwait(false));
                break;
        }
    }

    private async Task HandleMessageAsync(Azure.Storage.Queues.QueueClient queue, QueueMessage message, QueueKind kind, WorkerReport report, CancellationToken cancellationToken)
    {
        var o = workerOptions.Value;
        await using var lease = new MessageLease(queue, message, o.MessageLease, logger);
        try
        {
            await HandleAsync(kind, message, report, cancellationToken).ConfigureAwait(false);
            await lease.StopAsync().ConfigureAwait(false);
            await resilience.StorageAsync(async ct => { await queue.DeleteMessageAsync(message.MessageId, lease.PopReceipt, ct).ConfigureAwait(false); }, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Graceful shutdown: hand the message back at once instead of waiting for the lease to expire.
            await lease.StopAsync().ConfigureAwait(false);
            await TryUpdateVisibilityAsync(queue, message, lease.PopReceipt, TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await lease.StopAsync().ConfigureAwait(false);
            if (kind != QueueKind.Poison && message.DequeueCount >= pipelineOptions.Value.MaxDequeueCount)
            {
                // Like the host: the message moves to its queue's poison queue (an intake's failure was recorded on its
                // upload by the handler before it rethrew; the inference poison queue is handled by the poison handler).
                var poisonQueue = kind switch
                {
                    QueueKind.Intake => storage.IntakePoisonQueue,
                    QueueKind.Scan => storage.ReprocessPoisonQueue,
                    _ => storage.PoisonQueue,
                };
                logger.LogError(ex, "{Kind} message {MessageId} failed on delivery {DequeueCount} of {Max}; moving it to {PoisonQueue}: {Message}",
                    kind, message.MessageId, message.DequeueCount, pipelineOptions.Value.MaxDequeueCount, poisonQueue.Name, message.MessageText);
                await resilience.StorageAsync(async ct => { await poisonQueue.SendMessageAsync(message.MessageText, ct).ConfigureAwait(false); }, CancellationToken.None)
                    .ConfigureAwait(false);
                await resilience.StorageAsync(async ct => { await queue.DeleteMessageAsync(message.MessageId, lease.PopReceipt, ct).ConfigureAwait(false); }, CancellationToken.None)
                    .ConfigureAwait(false);
                switch (kind)
                {
                    case QueueKind.Intake: report.IntakeGivenUp(); break;
                    case QueueKind.Scan: report.ReprocessFailed(); break;
                    default: report.Poison(); break;
                }
            }
            else
            {
                logger.LogWarning("Message {MessageId} failed on delivery {DequeueCount}; retrying in {RetryDelay}: {Error}",
                    message.MessageId, message.DequeueCount, o.RetryDelay, ex.Message);
                await TryUpdateVisibilityAsync(queue, message, lease.PopReceipt, o.RetryDelay).ConfigureAwait(false);
                report.Retry();
            }
        }
    }

    private async Task TryUpdateVisibilityAsync(Azure.Storage.Queues.QueueClient queue, QueueMessage message, string popReceipt, TimeSpan visibility)
    {
        try
        {
            await resilience.StorageAsync(async ct => { await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: visibility, cancellationToken: ct).ConfigureAwait(false); },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning("Could not release message {MessageId} ({Error}); it reappears when its lease expires", message.MessageId, ex.Message);
        }
    }

    private async Task<bool> QueuesEmptyAsync(CancellationToken cancellationToken)
    {
        foreach (var q in new[] { storage.ReprocessQueue, storage.IntakeQueue, storage.InferenceQueue, storage.PoisonQueue })
        {
            var props = await resilience.StorageAsync(async ct => (await q.GetPropertiesAsync(ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
            if (props.ApproximateMessagesCount > 0) return false;
        }
        return true;
    }

    /// <summary>Keeps a received message invisible while its job runs (the host renews its leases the same way).</summary>
    private sealed class MessageLease : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewal;

        public MessageLease(Azure.Storage.Queues.QueueClient queue, QueueMessage message, TimeSpan lease, ILogger logger)
        {
            PopReceipt = message.PopReceipt;
            _renewal = Task.Run(async () =>
            {
                var period = lease / 2;
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(period, _stop.Token).ConfigureAwait(false);
                        var receipt = await queue.UpdateMessageAsync(message.MessageId, PopReceipt, visibilityTimeout: lease, cancellationToken: _stop.Token).ConfigureAwait(false);
                        PopReceipt = receipt.Value.PopReceipt;
                    }
                    catch (OperationCanceledException) { return; }
                    catch (RequestFailedException ex) { logger.LogWarning("Lease renewal of message {MessageId} failed: {Error}", message.MessageId, ex.Message); }
                }
            });
        }

        public string PopReceipt { get; private set; }

        public async Task StopAsync()
        {
            if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
