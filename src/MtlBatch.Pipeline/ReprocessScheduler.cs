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

/// <summary>What one reprocessing run did.</summary>
public sealed record ReprocessReport
{
    public required string Scope { get; init; }
    public int Scanned { get; init; }
    public int Stale { get; init; }
    public int Resubmitted { get; init; }
    public int JobsEnqueued { get; init; }
    /// <summary>Recordings the re-run intake rejected (error.json, Failed ledger row and event each).</summary>
    public int RecordingsRejected { get; init; }
    /// <summary>The listing reached its end (the next run of this scope starts from the beginning).</summary>
    public bool Completed { get; init; }
    /// <summary>Why the run stopped early: "queue-full", "run-limit" or "cancelled"; null when completed.</summary>
    public string? StoppedBecause { get; init; }
}

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
/// Finds uploads whose results are missing or were made by another model version and runs intake on them again
/// (which enqueues fresh inference jobs under the current model's job ids). Resumable: the listing's continuation
/// token is stored in <c>pipelinestate</c> after every page, so millions of blobs are walked across many runs.
/// Throttled: it stops when the inference queue is longer than <see cref="ReprocessOptions.MaxQueueLength"/> or after
/// <see cref="ReprocessOptions.MaxUploadsPerRun"/> re-submissions, and continues there next run.
/// </summary>
public sealed class ReprocessScheduler(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    JobLedger ledger,
    ResultStore results,
    RecordingIntakeHandler intake,
    ModelVersionProvider versions,
    IOptions<ReprocessOptions> options,
    TimeProvider time,
    ILogger<ReprocessScheduler> logger)
{
    /// <summary>The timer's run: continues every pending HTTP request, then the default scope (whole container, no force).</summary>
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

    /// <summary>Runs (or continues) one scope until it completes or is throttled.</summary>
    public async Task<ReprocessReport> RunAsync(ReprocessRequest request, bool oneShot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = options.Value;
        var scope = request.ScopeKey;
        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        var state = await LoadStateAsync(scope, cancellationToken).ConfigureAwait(false)
                    ?? new ReprocessStateEntity { RowKey = scope, Prefix = request.Prefix, Since = request.Since, Force = request.Force, OneShot = oneShot };

        int scanned = 0, stale = 0, resubmitted = 0, enqueued = 0, rejected = 0;
        string? stopped = null;
        var continuation = state.Continuation;
        var completed = false;

        while (stopped is null)
        {
            var page = await resilience.StorageAsync(async ct =>
            {
                await foreach (var p in storage.Recordings.GetBlobsAsync(new GetBlobsOptions { Prefix = request.Prefix }, ct)
                                   .AsPages(continuation, o.PageSize).ConfigureAwait(false))
                    return p;
                return null;
            }, cancellationToken).ConfigureAwait(false);
            if (page is null) { completed = true; break; }

            foreach (var blob in page.Values)
            {
                if (request.Since is { } since && blob.Properties.LastModified < since) continue;
                scanned++;
                var reason = await StaleReasonAsync(blob, modelVersion, request.Force, cancellationToken).ConfigureAwait(false);
                if (reason is null) continue;
                stale++;

                if (resubmitted >= o.MaxUploadsPerRun) { stopped = "run-limit"; break; }
                var queued = await resilience.StorageAsync(async ct => (await storage.InferenceQueue.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount,
                    cancellationToken).ConfigureAwait(false);
                if (queued > o.MaxQueueLength) { stopped = "queue-full"; break; }

                logger.LogInformation("Reprocessing {Upload}: {Reason}", blob.Name, reason);
                var outcome = await intake.HandleAsync(blob.Name, new IntakeRequest { Force = request.Force, Reprocess = true }, cancellationToken).ConfigureAwait(false);
                resubmitted++;
                enqueued += outcome.Enqueued;
                rejected += outcome.Failed;
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
            // Save the scope so the timer continues it (HTTP requests included).
            await SaveStateAsync(state, cancellationToken).ConfigureAwait(false);
        }

        var report = new ReprocessReport { Scope = scope, Scanned = scanned, Stale = stale, Resubmitted = resubmitted, JobsEnqueued = enqueued, RecordingsRejected = rejected, Completed = completed, StoppedBecause = stopped };
        logger.LogInformation("Reprocess scope {Scope}: scanned {Scanned}, stale {Stale}, resubmitted {Resubmitted}, jobs enqueued {Enqueued}, rejected {Rejected}, completed {Completed}, stopped {Stopped}",
            scope, scanned, stale, resubmitted, enqueued, rejected, completed, stopped);
        return report;
    }

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
