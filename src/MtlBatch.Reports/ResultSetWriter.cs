using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>Writes a recording's result set to a folder so that a reader never sees a half-written file.</summary>
public static class ResultSetWriter
{
    /// <summary>
    /// Writes every file of <see cref="ResultSetRenderer.Render"/> to a temporary name in <paramref name="directory"/> and
    /// renames it into place, <c>result.json</c> last. A stale <c>error.json</c> from an earlier failed attempt is removed
    /// once the new result is committed. Returns the paths written, in order.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteToDirectoryAsync(
        AnalysisResult result, string directory, CancellationToken cancellationToken, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var fileName in ResultSetRenderer.FileNames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(directory, fileName);
            await WriteAtomicallyAsync(path, (stream, ct) => ResultSetRenderer.WriteFileAsync(fileName, result, stream, ct), cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }

        var staleError = Path.Combine(directory, ResultSchema.Files.Error);
        if (File.Exists(staleError))
        {
            File.Delete(staleError);
            logger.LogInformation("Removed stale {ErrorFile} from {Directory}", ResultSchema.Files.Error, directory);
        }
        logger.LogInformation("Wrote {FileCount} result files for {Recording} to {Directory}", written.Count, result.Recording.Name, directory);
        return written;
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
