using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>Writes a recording's result set through an <see cref="IResultSetSink"/>: the one writer of the CLI, the pipeline and bench.</summary>
public static class ResultSetWriter
{
    /// <summary>
    /// Begins the set, streams every file of <see cref="ResultSetRenderer.Render"/> but result.json one at a time (JSON serialised
    /// straight into the sink: a 10-hour recording's documents are never held whole), then <paramref name="extraFiles"/>, then
    /// commits result.json. Returns the file names written, in order.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(AnalysisResult result, IResultSetSink sink, IReadOnlyList<ResultSetFile>? extraFiles,
        CancellationToken cancellationToken, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(sink);
        logger ??= NullLogger.Instance;
        extraFiles ??= [];
        var documents = ResultSetRenderer.FileNames.Where(f => f != ResultSchema.Files.Result).ToList();
        var names = documents.Concat(extraFiles.Select(f => f.FileName)).Append(ResultSchema.Files.Result).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentException("An extra file has the name of another file of the set.", nameof(extraFiles));

        await sink.BeginAsync(names, cancellationToken).ConfigureAwait(false);
        foreach (var fileName in documents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await sink.WriteFileAsync(fileName, (stream, ct) => ResultSetRenderer.WriteFileAsync(fileName, result, stream, ct), cancellationToken).ConfigureAwait(false);
        }
        foreach (var extra in extraFiles) await sink.WriteFileAsync(extra.FileName, extra.Content, cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync((stream, ct) => ResultSetRenderer.WriteFileAsync(ResultSchema.Files.Result, result, stream, ct), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Wrote {FileCount} result files for {Recording} to {Location}", names.Count, result.Recording.Name, sink.Location);
        return names;
    }

    /// <summary>
    /// The set in a folder (<see cref="FolderResultSink"/>): each file renamed into place, result.json last; a stale
    /// <c>error.json</c> of an earlier failed attempt is removed once the new result is committed. Returns the paths written, in order.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteToDirectoryAsync(
        AnalysisResult result, string directory, CancellationToken cancellationToken, ILogger? logger = null)
    {
        var names = await WriteAsync(result, new FolderResultSink(directory), null, cancellationToken, logger).ConfigureAwait(false);
        return [.. names.Select(n => Path.Combine(directory, n))];
    }

    /// <summary>Writes to a hidden temporary sibling, flushes, then renames over <paramref name="path"/>.</summary>
    public static Task WriteAtomicallyAsync(string path, byte[] content, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(path, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>Like <see cref="WriteAtomicallyAsync(string, byte[], CancellationToken)"/>, with the content streamed by <paramref name="write"/>.</summary>
    public static async Task WriteAtomicallyAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
