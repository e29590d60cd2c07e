using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Audio;

/// <summary>
/// Enumerates what <c>mtlbatch analyze &lt;file|folder|archive&gt;</c> should analyse: a single file, every file of a
/// folder tree (sorted, hidden files and OS junk skipped, directory symlinks not followed), and the entries of zip,
/// tar and tar.gz archives (given directly or found in the folder; see <see cref="ArchiveExpander"/>).
/// Items are produced lazily; dispose each one after use.
/// </summary>
public sealed class AudioInputs
{
    private readonly ArchiveExpander _archives;
    private readonly ILogger _logger;

    public AudioInputs(ArchiveExpander archives, ILogger<AudioInputs>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(archives);
        _archives = archives;
        _logger = logger ?? NullLogger<AudioInputs>.Instance;
    }

    /// <summary>
    /// Yields one <see cref="AudioInput"/> per recording under <paramref name="path"/>. A file yields itself (named by
    /// its file name) or, for an archive, its entries (named <c>{archive name without extension}/{entry path}</c>);
    /// a folder yields every file, named by its path relative to the folder.
    /// Items whose <see cref="AudioInput.Error"/> is set must be recorded as failures by the caller.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    public async IAsyncEnumerable<AudioInput> EnumerateAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (File.Exists(fullPath))
        {
            await foreach (var item in FromFileAsync(fullPath, Path.GetFileName(fullPath), cancellationToken).ConfigureAwait(false))
            {
                yield return Deduplicate(item, names);
            }
            yield break;
        }
        if (!Directory.Exists(fullPath)) throw new FileNotFoundException($"Input '{path}' does not exist.", fullPath);

        var count = 0;
        foreach (var (file, relative) in Walk(fullPath))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await foreach (var item in FromFileAsync(file, relative, cancellationToken).ConfigureAwait(false))
            {
                count++;
                yield return Deduplicate(item, names);
            }
        }
        _logger.LogInformation("Enumerated {Count} inputs under {Folder}", count, fullPath);
    }

    private async IAsyncEnumerable<AudioInput> FromFileAsync(string file, string relative, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!InputNames.IsArchiveName(relative))
        {
            yield return new AudioInput(relative, file, file, null, ownsFile: false);
            yield break;
        }
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await foreach (var item in _archives.ExpandAsync(stream, relative, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>A folder entry and an archive entry can map to the same name (batch1/a.wav next to batch1.zip).</summary>
    private static AudioInput Deduplicate(AudioInput item, HashSet<string> names)
    {
        if (names.Add(item.RelativeName)) return item;
        item.Dispose();
        var n = 2;
        while (!names.Add($"{item.RelativeName}~{n}")) n++;
        return AudioInput.Failed($"{item.RelativeName}~{n}", item.SourceDescription, ErrorCodes.UnsafeName,
            $"'{item.SourceDescription}' has the same output name as an earlier input ('{item.RelativeName}'); it was not analysed.");
    }

    /// <summary>
    /// The files of a folder as <c>mtlbatch analyze</c> and <c>mtlbatch submit</c> take them: depth-first, ordinal-sorted,
    /// hidden/system names skipped, symlinked folders not followed; yields (full path, '/'-separated relative path).
    /// </summary>
    public static IEnumerable<(string File, string Relative)> Walk(string root)
    {
        var pending = new Stack<(string Dir, string Prefix)>();
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            var (dir, prefix) = pending.Pop();
            var entries = new DirectoryInfo(dir).EnumerateFileSystemInfos()
                .Where(e => !InputNames.IsSkipped(e.Name))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
            foreach (var file in entries.OfType<FileInfo>())
            {
                yield return (file.FullName, prefix + file.Name);
            }
            // Reverse so the stack pops sub-folders in sorted order; symlinked folders are not followed (loops).
            foreach (var sub in entries.OfType<DirectoryInfo>().Where(d => d.LinkTarget is null).Reverse())
            {
                pending.Push((sub.FullName, prefix + sub.Name + "/"));
            }
        }
    }
}
