using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>Writes one file's content into <paramref name="destination"/>. A sink may call it again when it retries the write.</summary>
public delegate Task FileContent(Stream destination, CancellationToken cancellationToken);

/// <summary>A file of a result set beyond the rendered documents (the redacted audio).</summary>
public sealed record ResultSetFile(string FileName, FileContent Content);

/// <summary>
/// Where a recording's result set goes: a local folder (<see cref="FolderResultSink"/>, <c>mtlbatch analyze</c>) or the
/// pipeline's results container. One protocol for both, driven by <see cref="ResultSetWriter.WriteAsync"/>:
/// <see cref="BeginAsync"/> withdraws the previous commit, the files are streamed one at a time, and
/// <see cref="CommitAsync"/> writes <c>result.json</c> last. A reader that finds result.json therefore finds the complete
/// set it describes; without it the set is incomplete or in progress.
/// </summary>
public interface IResultSetSink
{
    /// <summary>Where the set goes (a folder path or a blob prefix), for logs.</summary>
    string Location { get; }

    /// <summary>
    /// Removes the previous <c>result.json</c> (so the old commit no longer vouches for files about to change) and any optional
    /// file of an earlier set that <paramref name="fileNames"/>, the files of this set, does not include.
    /// </summary>
    Task BeginAsync(IReadOnlyCollection<string> fileNames, CancellationToken cancellationToken);

    /// <summary>Writes one file of the set (not result.json).</summary>
    Task WriteFileAsync(string fileName, FileContent content, CancellationToken cancellationToken);

    /// <summary>Writes <c>result.json</c>, the commit point, then removes a stale <c>error.json</c> of an earlier failed attempt.</summary>
    Task CommitAsync(FileContent result, CancellationToken cancellationToken);

    /// <summary>Writes <c>error.json</c> where the result set would have been.</summary>
    Task WriteErrorAsync(ErrorRecord error, CancellationToken cancellationToken);
}

/// <summary>
/// A result set in a local folder. Every file is written to a hidden temporary sibling, flushed and renamed into place, so a
/// reader never sees a half-written file.
/// </summary>
public sealed class FolderResultSink(string directory) : IResultSetSink
{
    public string Directory { get; } = directory;

    public string Location => Directory;

    public Task BeginAsync(IReadOnlyCollection<string> fileNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fileNames);
        System.IO.Directory.CreateDirectory(Directory);
        DeleteIfExists(ResultSchema.Files.Result);
        foreach (var optional in ResultSetRenderer.OptionalFileNames.Where(f => !fileNames.Contains(f))) DeleteIfExists(optional);
        return Task.CompletedTask;
    }

    public Task WriteFileAsync(string fileName, FileContent content, CancellationToken cancellationToken)
    {
        if (fileName is ResultSchema.Files.Result) throw new ArgumentException("result.json is written by CommitAsync, last.", nameof(fileName));
        return ResultSetWriter.WriteAtomicallyAsync(Path.Combine(Directory, fileName), (s, ct) => content(s, ct), cancellationToken);
    }

    public async Task CommitAsync(FileContent result, CancellationToken cancellationToken)
    {
        await ResultSetWriter.WriteAtomicallyAsync(Path.Combine(Directory, ResultSchema.Files.Result), (s, ct) => result(s, ct), cancellationToken)
            .ConfigureAwait(false);
        DeleteIfExists(ResultSchema.Files.Error);
    }

    public async Task WriteErrorAsync(ErrorRecord error, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await ResultSetWriter.WriteAtomicallyAsync(Path.Combine(Directory, ResultSchema.Files.Error),
            (s, ct) => System.Text.Json.JsonSerializer.SerializeAsync(s, error, MtlJson.Options, ct), cancellationToken).ConfigureAwait(false);
    }

    private void DeleteIfExists(string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        if (File.Exists(path)) File.Delete(path);
    }
}
