using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// Writes result sets and error records into the <c>results</c> container.
/// Commit protocol: result.json is the commit point. An existing result.json is deleted first, the other files are
/// written, result.json goes last (with metadata <c>jobid</c> and <c>modelversion</c>). A reader that finds
/// result.json therefore finds the complete set it describes; without result.json a folder is incomplete or in progress.
/// </summary>
public sealed class ResultStore(PipelineStorage storage, ResiliencePipelines resilience)
{
    public const string JobIdMetadata = "jobid";
    public const string ModelVersionMetadata = "modelversion";

    private readonly BlobContainerClient _results = storage.Results;

    /// <summary>Uploads the rendered files in order; the last one must be result.json.</summary>
    public async Task WriteResultSetAsync(string recording, string jobId, string modelVersion, IReadOnlyList<RenderedFile> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0 || files[^1].FileName != ResultSchema.Files.Result)
            throw new ArgumentException("A result set must end with result.json (its commit point).", nameof(files));
        var folder = RecordingPaths.ResultsFolder(recording);

        await DeleteIfExistsAsync(folder + "/" + ResultSchema.Files.Result, cancellationToken).ConfigureAwait(false);
        foreach (var file in files)
        {
            var metadata = file.FileName == ResultSchema.Files.Result
                ? new Dictionary<string, string> { [JobIdMetadata] = jobId, [ModelVersionMetadata] = modelVersion }
                : null;
            await UploadAsync(folder + "/" + file.FileName, file.Content, ContentTypeOf(file.FileName), metadata, cancellationToken).ConfigureAwait(false);
        }
        await DeleteIfExistsAsync(folder + "/" + ResultSchema.Files.Error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes error.json where the results would have been.</summary>
    public Task WriteErrorAsync(ErrorRecord error, CancellationToken cancellationToken) =>
        UploadAsync(RecordingPaths.ErrorBlob(error.Recording), BinaryData.FromString(MtlJson.Serialize(error)), ContentTypeOf(ResultSchema.Files.Error),
            error.JobId is null ? null : new Dictionary<string, string> { [JobIdMetadata] = error.JobId }, cancellationToken);

    /// <summary>The job id that committed the current result.json of a recording, or null when there is none.</summary>
    public async Task<CommittedResult?> GetCommittedAsync(string recording, CancellationToken cancellationToken)
    {
        var blob = _results.GetBlobClient(RecordingPaths.ResultBlob(recording));
        try
        {
            var props = await resilience.StorageAsync(async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken)
                .ConfigureAwait(false);
            props.Metadata.TryGetValue(JobIdMetadata, out var jobId);
            props.Metadata.TryGetValue(ModelVersionMetadata, out var version);
            return new CommittedResult(jobId ?? "", version ?? "", props.LastModified);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Counts committed result sets and error records under a results folder prefix.</summary>
    public async Task<int> CountOutcomesAsync(string folder, CancellationToken cancellationToken)
    {
        var prefix = RecordingPaths.ResultsFolder(folder) + "/";
        return await resilience.StorageAsync(async ct =>
        {
            var n = 0;
            await foreach (var item in _results.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
            {
                var file = item.Name[(item.Name.LastIndexOf('/') + 1)..];
                if (file is ResultSchema.Files.Result or ResultSchema.Files.Error) n++;
            }
            return n;
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task UploadAsync(string name, BinaryData content, string contentType, IDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var blob = _results.GetBlobClient(name);
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType }, Metadata = metadata };
        return resilience.StorageAsync(async ct => { await blob.UploadAsync(content, options, ct).ConfigureAwait(false); }, cancellationToken).AsTask();
    }

    private Task DeleteIfExistsAsync(string name, CancellationToken cancellationToken)
    {
        var blob = _results.GetBlobClient(name);
        return resilience.StorageAsync(async ct => { await blob.DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken).AsTask();
    }

    private static string ContentTypeOf(string fileName) => MtlBatch.Reports.ResultSetRenderer.ContentType(fileName);
}

/// <summary>One file of a rendered result set.</summary>
public sealed record RenderedFile(string FileName, BinaryData Content);

public sealed record CommittedResult(string JobId, string ModelVersion, DateTimeOffset LastModified);
