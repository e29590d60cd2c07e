using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MtlBatch.Pipeline;

/// <summary>A reprocessing request (HTTP <c>POST reprocess</c> body, or the scheduled default scope).</summary>
public sealed record ReprocessRequest
{
    /// <summary>Only uploads whose blob name starts with this.</summary>
    public string? Prefix { get; init; }
    /// <summary>Only uploads modified at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Re-run every upload in scope, even those with current results.</summary>
    public bool Force { get; init; }

    [JsonIgnore] public string ScopeKey => JobLedger.KeyOf($"{Prefix}|{Since?.ToUniversalTime():O}|{Force}");
}

/// <summary>What one scheduled reprocessing run did.</summary>
public sealed record ReprocessReport
{
    public required string Scope { get; init; }
    public int Scanned { get; init; }
    public int Stale { get; init; }
    /// <summary>Stale uploads put on <c>intake-jobs</c> (intake decodes them and enqueues their inference jobs).</summary>
    public int Resubmitted { get; init; }
    /// <summary>The listing reached its end (the next run of this scope starts from the beginning).</summary>
    public bool Completed { get; init; }
    /// <summary>Why the run stopped early: "queue-full", "run-limit" or "cancelled"; null when completed.</summary>
    public string? StoppedBecause { get; init; }
}

/// <summary>The answer to <c>POST /api/reprocess</c> (202) and <c>mtlbatch reprocess</c>: the batch whose first scan was queued.</summary>
public sealed record ReprocessBatch
{
    public required string BatchId { get; init; }
    public string? Prefix { get; init; }
    public DateTimeOffset? Since { get; init; }
    public bool Force { get; init; }
    public required DateTimeOffset QueuedAt { get; init; }
}

/// <summary>What one scan message (one page of a batch) did.</summary>
public enum ScanStatus { Scanned, Throttled, Rejected }

public sealed record ScanOutcome(string? BatchId, ScanStatus Status, int Scanned, int Resubmitted, bool LastPage);

/// <summary>Progress of one reprocessing scope. Table <c>pipelinestate</c>, PartitionKey "reprocess", RowKey = scope key.</summary>
public sealed class ReprocessStateEntity : ITableEntity
{
    public const string Partition = "reprocess";
    public string PartitionKey { get; set; } = Partition;
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string? Prefix { get; set; }
    public DateTimeOffset? Since { get; set; }
    public bool Force { get; set; }
    /// <summary>Continuation token of the next page of the recordings listing; null = start from the beginning.</summary>
    public string? Continuation { get; set; }
    /// <summary>False for the scheduled default scope (it never ends); true for HTTP requests (deleted when done).</summary>
    public bool OneShot { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>
/// Finds uploads whose results are missing or were made by another model version and puts them on <c>intake-jobs</c>
/// (intake then enqueues fresh inference jobs under the current model's job ids): reprocessing only enqueues, it never
/// decodes. Two entry points:
/// <list type="bullet">
/// <item>the schedule (<see cref="RunScheduledAsync"/>, the timer and the local worker): resumable — the listing's
/// continuation token is stored in <c>pipelinestate</c> after every page — and throttled: it stops when the intake and
/// inference queues hold more than <see cref="ReprocessOptions.MaxQueueLength"/> or after
/// <see cref="ReprocessOptions.MaxUploadsPerRun"/> re-submissions, and continues there next run;</item>
/// <item>a batch (<see cref="StartBatchAsync"/>, <c>POST /api/reprocess</c>, <c>mtlbatch reprocess</c>): one message on
/// <c>reprocess-scans</c>; each scan message handles one page (<see cref="HandleScanAsync"/>) and enqueues the next, and
/// while the queues are full it is put back for <see cref="ReprocessOptions.ThrottleDelay"/>.</item>
/// </list>
/// </summary>
public sealed class ReprocessScheduler(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    ResultStore results,
    ModelVersionProvider versions,
    IOptions<ReprocessOptions> options,
    TimeProvider time,
    ILogger<ReprocessScheduler> logger)
{
    /// <summary>The timer's run: continues every pending scope stored by earlier runs, then the default scope (whole container, no force).</summary>
    public async Task<IReadOnlyList<ReprocessReport>> RunScheduledAsync(CancellationToken cancellationToken)
    {
        var reports = new List<ReprocessReport>();
        var pending = await resilience.StorageAsync(async ct =>
        {
            var list = new List<ReprocessStateEntity>();
            await foreach (var e in storage.State.QueryAsync<ReprocessStateEntity>(x => x.PartitionKey == ReprocessStateEntity.Partition, cancellationToken: ct).ConfigureAwait(false))
                if (e.OneShot) list.Add(e);
            return list;
        }, cancellationToken).ConfigureAwait(false);

        foreach (var request in pending.Select(p => new ReprocessRequest { Prefix = p.Prefix, Since = p.Since, Force = p.Force }))
        {
            var report = await RunAsync(request, oneShot: true, cancellationToken).ConfigureAwait(false);
            reports.Add(report);
            if (!report.Completed) return reports;
        }
        reports.Add(await RunAsync(new ReprocessRequest(), oneShot: false, cancellationToken).ConfigureAwait(false));
        return reports;
    }

    /// <summary>Runs (or continues) one scope until it completes or is throttled, enqueuing intake for its stale uploads.</summary>
    public async Task<ReprocessReport> RunAsync(ReprocessRequest request, bool oneShot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = options.Value;
        var scope = request.ScopeKey;
        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        var state = await LoadStateAsync(scope, cancellationToken).ConfigureAwait(false)
                    ?? new ReprocessStateEntity { RowKey = scope, Prefix = request.Prefix, Since = request.Since, Force = request.Force, OneShot = oneShot };

        int scanned = 0, stale = 0, resubmitted = 0;
        string? stopped = null;
        var continuation = state.Continuation;
        var completed = false;

        while (stopped is null)
        {
            var page = await ListPageAsync(request.Prefix, continuation, cancellationToken).ConfigureAwait(false);
            if (page is null) { completed = true; break; }

            foreach (var blob in page.Values)
            {
                if (request.Since is { } since && blob.Properties.LastModified < since) continue;
                scanned++;
                var reason = await StaleReasonAsync(blob, modelVersion, request.Force, cancellationToken).ConfigureAwait(false);
                if (reason is null) continue;
                stale++;

                if (resubmitted >= o.MaxUploadsPerRun) { stopped = "run-limit"; break; }
                if (await BacklogAsync(cancellationToken).ConfigureAwait(false) > o.MaxQueueLength) { stopped = "queue-full"; break; }
                await EnqueueIntakeAsync(blob.Name, reason, request.Force, batchId: null, cancellationToken).ConfigureAwait(false);
                resubmitted++;
            }

            // A page cut short is walked again next run (intake is idempotent, fresh uploads are skipped cheaply).
            if (stopped is not null) break;
            continuation = page.ContinuationToken;
            if (string.IsNullOrEmpty(continuation)) { completed = true; break; }
            state.Continuation = continuation;
            await SaveStateAsync(state, cancellationToken).ConfigureAwait(false);
        }

        if (completed)
        {
            state.Continuation = null;
            if (state.OneShot) await DeleteStateAsync(state, cancellationToken).ConfigureAwait(false);
            else await SaveStateAsync(state, cancellationToken).ConfigureAwait(false);
        }
        else if (stopped is not null)
        {
            // Save the scope so the next run continues it.
            await SaveStateAsync(state, cancellationToken).ConfigureAwait(false);
        }

        var report = new ReprocessReport { Scope = scope, Scanned = scanned, Stale = stale, Resubmitted = resubmitted, Completed = completed, StoppedBecause = stopped };
        logger.LogInformation("Reprocess scope {Scope}: scanned {Scanned}, stale {Stale}, resubmitted {Resubmitted}, completed {Completed}, stopped {Stopped}",
            scope, scanned, stale, resubmitted, completed, stopped);
        return report;
    }

    /// <summary>Queues the first scan of a reprocess batch and returns at once (<c>POST /api/reprocess</c> answers 202 with it).</summary>
    public async Task<ReprocessBatch> StartBatchAsync(ReprocessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scan = new ReprocessScan { BatchId = Guid.NewGuid().ToString("N"), Prefix = request.Prefix, Since = request.Since, Force = request.Force };
        await SendAsync(storage.ReprocessQueue, scan.ToJson(), null, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Reprocess batch {BatchId} queued (prefix {Prefix}, since {Since}, force {Force})", scan.BatchId, request.Prefix, request.Since, request.Force);
        return new ReprocessBatch { BatchId = scan.BatchId, Prefix = request.Prefix, Since = request.Since, Force = request.Force, QueuedAt = time.GetUtcNow() };
    }

    /// <summary>
    /// One scan message: while the intake and inference queues hold more than <see cref="ReprocessOptions.MaxQueueLength"/>
    /// the message is put back for <see cref="ReprocessOptions.ThrottleDelay"/>; otherwise one page of the listing is
    /// scanned, its stale uploads go on <c>intake-jobs</c>, and the next page's scan is queued. A redelivered page
    /// enqueues its uploads again: intake skips what it already did (with <c>force</c> it runs them again).
    /// </summary>
    public async Task<ScanOutcome> HandleScanAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scan = ReprocessScan.TryParse(message);
        if (scan is null)
        {
            logger.LogError("Dropping a message that is not a reprocess scan ({Length} characters)", message.Length);
            return new ScanOutcome(null, ScanStatus.Rejected, 0, 0, false);
        }
        var o = options.Value;
        if (await BacklogAsync(cancellationToken).ConfigureAwait(false) > o.MaxQueueLength)
        {
            await SendAsync(storage.ReprocessQueue, scan.ToJson(), o.ThrottleDelay, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Reprocess batch {BatchId} page {Page} put back for {Delay}: more than {MaxQueueLength} messages are waiting",
                scan.BatchId, scan.Page, o.ThrottleDelay, o.MaxQueueLength);
            return new ScanOutcome(scan.BatchId, ScanStatus.Throttled, 0, 0, false);
        }

        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        var page = await ListPageAsync(scan.Prefix, scan.Continuation, cancellationToken).ConfigureAwait(false);
        int scanned = 0, resubmitted = 0;
        foreach (var blob in page?.Values ?? [])
        {
            if (scan.Since is { } since && blob.Properties.LastModified < since) continue;
            scanned++;
            if (await StaleReasonAsync(blob, modelVersion, scan.Force, cancellationToken).ConfigureAwait(false) is not { } reason) continue;
            await EnqueueIntakeAsync(blob.Name, reason, scan.Force, scan.BatchId, cancellationToken).ConfigureAwait(false);
            resubmitted++;
        }
        var next = page?.ContinuationToken;
        var last = string.IsNullOrEmpty(next);
        if (!last)
            await SendAsync(storage.ReprocessQueue, (scan with { Continuation = next, Page = scan.Page + 1 }).ToJson(), null, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Reprocess batch {BatchId} page {Page}: scanned {Scanned}, resubmitted {Resubmitted}{Last}",
            scan.BatchId, scan.Page, scanned, resubmitted, last ? ", last page" : "");
        return new ScanOutcome(scan.BatchId, ScanStatus.Scanned, scanned, resubmitted, last);
    }

    private async Task<Azure.Page<BlobItem>?> ListPageAsync(string? prefix, string? continuation, CancellationToken cancellationToken) =>
        await resilience.StorageAsync(async ct =>
        {
            await foreach (var p in storage.Recordings.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct)
                               .AsPages(continuation, options.Value.PageSize).ConfigureAwait(false))
                return p;
            return null;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Messages waiting for intake or inference (approximate counts, invisible ones included).</summary>
    private async Task<long> BacklogAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var queue in new[] { storage.IntakeQueue, storage.InferenceQueue })
            total += await resilience.StorageAsync(async ct => (await queue.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount, cancellationToken)
                .ConfigureAwait(false);
        return total;
    }

    private async Task EnqueueIntakeAsync(string upload, string reason, bool force, string? batchId, CancellationToken cancellationToken)
    {
        logger.LogInformation("Reprocessing {Upload}: {Reason}", upload, reason);
        await SendAsync(storage.IntakeQueue, new IntakeWork { Upload = upload, Force = force, BatchId = batchId }.ToJson(), null, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendAsync(Azure.Storage.Queues.QueueClient queue, string message, TimeSpan? visibility, CancellationToken cancellationToken) =>
        await resilience.StorageAsync(async ct => { await queue.SendMessageAsync(message, visibilityTimeout: visibility, cancellationToken: ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);

    /// <summary>Why an upload needs another run, or null when its results are current.</summary>
    internal async Task<string?> StaleReasonAsync(BlobItem blob, string modelVersion, bool force, CancellationToken cancellationToken)
    {
        if (force) return "forced";
        var upload = await ledger.GetUploadAsync(blob.Name, cancellationToken).ConfigureAwait(false);
        if (upload is null) return "never processed";
        if (blob.Properties.ETag is not null && upload.BlobETag != JobLedger.NormalizeETag(blob.Properties.ETag)) return "changed since it was processed";
        if (upload.InputError) return null;
        if (upload.ModelVersion != modelVersion) return $"made by model {upload.ModelVersion}, current is {modelVersion}";
        if (upload.ProcessedAt is { } at && time.GetUtcNow() - at >= options.Value.MissingResultsGrace
            && await results.CountOutcomesAsync(RecordingMedia.OutcomeFolder(blob.Name), cancellationToken).ConfigureAwait(false) < upload.Recordings)
            return "results missing";
        return null;
    }

    private async Task<ReprocessStateEntity?> LoadStateAsync(string scope, CancellationToken cancellationToken)
    {
        var r = await resilience.StorageAsync(async ct => await storage.State.GetEntityIfExistsAsync<ReprocessStateEntity>(ReprocessStateEntity.Partition, scope, cancellationToken: ct)
            .ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return r.HasValue ? r.Value : null;
    }

    private async Task SaveStateAsync(ReprocessStateEntity state, CancellationToken cancellationToken)
    {
        state.UpdatedAt = time.GetUtcNow();
        await resilience.StorageAsync(async ct => { await storage.State.UpsertEntityAsync(state, TableUpdateMode.Replace, ct).ConfigureAwait(false); }, cancellationToken)
            .ConfigureAwait(false);
    }

    private async Task DeleteStateAsync(ReprocessStateEntity state, CancellationToken cancellationToken) =>
        await resilience.StorageAsync(async ct => { await storage.State.DeleteEntityAsync(state.PartitionKey, state.RowKey, ETag.All, ct).ConfigureAwait(false); }, cancellationToken)
            .ConfigureAwait(false);
}
