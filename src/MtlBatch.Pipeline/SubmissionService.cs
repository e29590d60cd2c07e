using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>One recording an upload will produce, with the job id intake gives it (and the error intake will record, if any).</summary>
internal sealed record SubmittedRecording(string Recording, string JobId, string? ErrorCode);

/// <summary>What <see cref="SubmissionService.SubmitAsync"/> did with one local file.</summary>
internal sealed record SubmittedUpload(string Upload, string? ETag, IReadOnlyList<SubmittedRecording> Recordings, string? Error)
{
    public bool Uploaded => Error is null;
}

/// <summary>
/// <c>mtlbatch submit</c>: uploads a local file into <c>recordings</c> (where the blob trigger or the local worker picks
/// it up) and computes the job ids intake will give its recordings: the same <see cref="JobLedger.ComputeJobId"/> over the
/// same recording paths (archive entries as <see cref="ArchiveExpander"/> names them), content hashes and keys
/// (<see cref="IntakeRules"/>) and the same model version (<see cref="ModelVersionProvider"/>: <c>Pipeline:ModelVersion</c>
/// or the model's own), so the ids match when the worker runs with the same model settings.
/// </summary>
internal sealed class SubmissionService(
    PipelineStorage storage,
    ResiliencePipelines resilience,
    RecordingMedia media,
    ModelVersionProvider versions,
    IOptions<InputLimits> limits,
    ILogger<SubmissionService> logger)
{
    private int _containerReady;

    public async Task<SubmittedUpload> SubmitAsync(string localFile, string upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(localFile);
        ArgumentNullException.ThrowIfNull(upload);
        // A name intake would reject is refused here, before anything is stored.
        if (RecordingPaths.Problem(upload, limits.Value.MaxNameLength) is { } nameProblem)
            return new SubmittedUpload(upload, null, [], $"the blob name '{upload}' cannot be used: {nameProblem}");

        var modelVersion = await versions.GetAsync(cancellationToken).ConfigureAwait(false);
        string etag;
        try
        {
            if (Interlocked.Exchange(ref _containerReady, 1) == 0)
                await resilience.StorageAsync(async ct => { await storage.Recordings.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken)
                    .ConfigureAwait(false);
            var blob = storage.Recordings.GetBlobClient(upload);
            var info = await resilience.StorageAsync(async ct => (await blob.UploadAsync(localFile, new BlobUploadOptions(), ct).ConfigureAwait(false)).Value, cancellationToken)
                .ConfigureAwait(false);
            etag = JobLedger.NormalizeETag(info.ETag);
        }
        catch (Exception ex) when (ex is RequestFailedException or IOException or UnauthorizedAccessException or AggregateException)
        {
            Interlocked.Exchange(ref _containerReady, 0);
            logger.LogError("Upload of {File} as {Upload} failed: {Error}", localFile, upload, ex.Message);
            return new SubmittedUpload(upload, null, [], ex.Message);
        }

        var recordings = await JobIdsAsync(localFile, upload, etag, modelVersion, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Uploaded {File} as {Upload} ({ETag}): {Recordings} recording(s), model version {ModelVersion}",
            localFile, upload, etag, recordings.Count, modelVersion);
        return new SubmittedUpload(upload, etag, recordings, null);
    }

    /// <summary>The recordings and job ids intake will produce for <paramref name="localFile"/> stored as <paramref name="upload"/> with <paramref name="etag"/>.</summary>
    internal async Task<IReadOnlyList<SubmittedRecording>> JobIdsAsync(string localFile, string upload, string etag, string modelVersion, CancellationToken cancellationToken)
    {
        var size = new FileInfo(localFile).Length;
        if (IntakeRules.UploadProblem(upload, size, limits.Value) is { } problem)
            return [new SubmittedRecording(upload, JobLedger.ComputeJobId(upload, IntakeRules.RejectedUploadKey(etag), modelVersion), problem.Code)];
        if (!RecordingMedia.IsArchive(upload))
            return [new SubmittedRecording(upload, JobLedger.ComputeJobId(upload, await RecordingMedia.Sha256Async(localFile, cancellationToken).ConfigureAwait(false), modelVersion), null)];

        var list = new List<SubmittedRecording>();
        // As in intake: an item is disposed only after the next one was extracted (disposing may delete the shared folder).
        AudioInput? pending = null;
        try
        {
            await foreach (var entry in media.ExpandArchiveAsync(localFile, upload, cancellationToken).ConfigureAwait(false))
            {
                pending?.Dispose();
                pending = entry;
                if (entry.Error is { } error)
                {
                    var key = await IntakeRules.EntryErrorKeyAsync(entry, upload, localFile, cancellationToken).ConfigureAwait(false);
                    list.Add(new SubmittedRecording(entry.RelativeName, JobLedger.ComputeJobId(entry.RelativeName, key, modelVersion), error.Code));
                    continue;
                }
                var sha = await RecordingMedia.Sha256Async(entry.LocalPath!, cancellationToken).ConfigureAwait(false);
                list.Add(new SubmittedRecording(entry.RelativeName, JobLedger.ComputeJobId(entry.RelativeName, sha, modelVersion), null));
            }
        }
        finally
        {
            pending?.Dispose();
        }
        return list;
    }
}
