using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MtlBatch.Core;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline;

/// <summary>
/// Result sets and error records in the <c>results</c> container. Result sets are written through <see cref="OpenSink"/>
/// (the <see cref="IResultSetSink"/> protocol: the existing result.json is deleted first, the other files are streamed,
/// result.json goes last with metadata <c>jobid</c> and <c>modelversion</c>). A reader that finds result.json therefore
/// finds the complete set it describes; without result.json a folder is incomplete or in progress.
/// </summary>
public sealed class ResultStore(PipelineStorage storage, ResiliencePipelines resilience)
{
    public const string JobIdMetadata = "jobid";
    public const string ModelVersionMetadata = "modelversion";

    private readonly BlobContainerClient _results = storage.Results;

    /// <summary>
    /// The sink that writes one job's result set into the recording's results folder (<see cref="BlobResultSink"/>):
    /// what the inference handler hands to the <c>RecordingProcessor</c>. Each file is rendered into
    /// <paramref name="workDirectory"/> first (the job's work folder), then uploaded.
    /// </summary>
    public IResultSetSink OpenSink(string recording, string jobId, string modelVersion, string workDirectory) =>
        new BlobResultSink(this, recording, jobId, modelVersion, workDirectory);

    /// <summary>
    /// Renders <paramref name="content"/> into a local file once (streamed: never whole in memory), then uploads it. Not
    /// <c>OpenWriteAsync</c>: with overwrite it creates the blob empty before the first byte, so a worker killed mid-write
    /// would leave an empty result.json that says "committed"; an upload appears only when it is complete.
    /// </summary>
    internal async Task UploadRenderedAsync(string name, FileContent content, IDictionary<string, string>? metadata, string workDirectory,
        CancellationToken cancellationToken)
    {
        var fileName = name[(name.LastIndexOf('/') + 1)..];
        Directory.CreateDirectory(workDirectory);
        var local = Path.Combine(workDirectory, $".upload.{Guid.NewGuid():N}.{fileName}");
        try
        {
            var file = new FileStream(local, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await content(file, cancellationToken).ConfigureAwait(false);
            }
            var blob = _results.GetBlobClient(name);
            var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(fileName) }, Metadata = metadata };
            await resilience.StorageAsync(async ct => { await blob.UploadAsync(local, options, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (File.Exists(local)) File.Delete(local);
        }
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

    internal Task DeleteIfExistsAsync(string name, CancellationToken cancellationToken)
    {
        var blob = _results.GetBlobClient(name);
        return resilience.StorageAsync(async ct => { await blob.DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken).AsTask();
    }

    private static string ContentTypeOf(string fileName) => MtlBatch.Reports.ResultSetRenderer.ContentType(fileName);
}

public sealed record CommittedResult(string JobId, string ModelVersion, DateTimeOffset LastModified);

/// <summary>
/// One job's result set in the recording's results folder: each file rendered locally, then uploaded through the storage
/// resilience pipeline (the one retry layer); result.json, with the job id and model version as metadata, last.
/// </summary>
public sealed class BlobResultSink : IResultSetSink
{
    private readonly ResultStore _store;
    private readonly string _folder;
    private readonly string _jobId;
    private readonly string _modelVersion;
    private readonly string _workDirectory;

    internal BlobResultSink(ResultStore store, string recording, string jobId, string modelVersion, string workDirectory)
    {
        _store = store;
        _workDirectory = workDirectory;
        _folder = RecordingPaths.ResultsFolder(recording);
        _jobId = jobId;
        _modelVersion = modelVersion;
    }

    public string Location => _folder;

    public async Task BeginAsync(IReadOnlyCollection<string> fileNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fileNames);
        await _store.DeleteIfExistsAsync(Blob(ResultSchema.Files.Result), cancellationToken).ConfigureAwait(false);
        foreach (var optional in ResultSetRenderer.OptionalFileNames.Where(f => !fileNames.Contains(f)))
            await _store.DeleteIfExistsAsync(Blob(optional), cancellationToken).ConfigureAwait(false);
    }

    public Task WriteFileAsync(string fileName, FileContent content, CancellationToken cancellationToken)
    {
        if (fileName is ResultSchema.Files.Result) throw new ArgumentException("result.json is written by CommitAsync, last.", nameof(fileName));
        return _store.UploadRenderedAsync(Blob(fileName), content, null, _workDirectory, cancellationToken);
    }

    public async Task CommitAsync(FileContent result, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string> { [ResultStore.JobIdMetadata] = _jobId, [ResultStore.ModelVersionMetadata] = _modelVersion };
        await _store.UploadRenderedAsync(Blob(ResultSchema.Files.Result), result, metadata, _workDirectory, cancellationToken).ConfigureAwait(false);
        await _store.DeleteIfExistsAsync(Blob(ResultSchema.Files.Error), cancellationToken).ConfigureAwait(false);
    }

    public Task WriteErrorAsync(ErrorRecord error, CancellationToken cancellationToken) => _store.WriteErrorAsync(error, cancellationToken);

    private string Blob(string fileName) => _folder + "/" + fileName;
}
