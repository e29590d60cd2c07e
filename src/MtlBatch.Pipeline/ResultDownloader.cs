using Azure.Storage.Blobs.Models;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>One recording's folder as downloaded: whether it holds a committed result set, an error record, or neither yet.</summary>
internal sealed record DownloadedFolder(string Recording, string LocalFolder, IReadOnlyList<string> Files)
{
    public bool HasResult => Files.Any(f => Path.GetFileName(f) == ResultSchema.Files.Result);
    public bool HasError => Files.Any(f => Path.GetFileName(f) == ResultSchema.Files.Error);
}

/// <summary>
/// <c>mtlbatch results</c>: copies what the pipeline wrote for a recording (or every recording under a folder, e.g. an
/// archive's <c>calls/batch1</c>) from the results container into a local folder, keeping the relative paths.
/// </summary>
internal sealed class ResultDownloader(PipelineStorage storage, ResiliencePipelines resilience)
{
    /// <summary>Downloads every blob under <c>{results folder of recording}/</c> into <paramref name="target"/>, grouped by the recording folder that holds it.</summary>
    public async Task<IReadOnlyList<DownloadedFolder>> DownloadAsync(string recording, string target, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(recording);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var prefix = RecordingPaths.ResultsFolder(recording.TrimEnd('/')) + "/";
        var names = await resilience.StorageAsync(async ct =>
        {
            var list = new List<string>();
            await foreach (var blob in storage.Results.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
                list.Add(blob.Name);
            return list;
        }, cancellationToken).ConfigureAwait(false);

        var root = Path.GetFullPath(target);
        var folders = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var relative = name[prefix.Length..];
            // Blob names come from the pipeline, but a local path is only ever built from safe segments inside the target.
            if (RecordingPaths.Problem(relative, int.MaxValue) is not null) continue;
            var local = Path.GetFullPath(Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar)));
            if (!local.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            var blob = storage.Results.GetBlobClient(name);
            await resilience.StorageAsync(async ct => { await blob.DownloadToAsync(local, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);

            var folder = relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.LastIndexOf('/')] : "";
            if (!folders.TryGetValue(folder, out var files)) folders[folder] = files = [];
            files.Add(local);
        }
        return folders.Select(f => new DownloadedFolder(
                f.Key.Length == 0 ? recording.TrimEnd('/') : recording.TrimEnd('/') + "/" + f.Key,
                f.Key.Length == 0 ? root : Path.Combine(root, f.Key.Replace('/', Path.DirectorySeparatorChar)),
                f.Value))
            .ToList();
    }
}
