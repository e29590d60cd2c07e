using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using SharpCompress.Common;
using SharpCompress.Readers;

namespace MtlBatch.Audio;

/// <summary>
/// Expands zip, tar and tar.gz archives (SharpCompress, forward-only streaming) into one <see cref="AudioInput"/> per
/// file entry, extracting lazily: an entry is written to a temp file only when the caller asks for the next item.
/// Untrusted archives are handled defensively: entry names never become file-system paths (temp files are numbered),
/// unsafe names, links, encrypted and nested-archive entries become error items, and the limits of
/// <see cref="InputLimits"/> (entries, total expanded bytes, per-entry compression ratio, per-entry size) are enforced
/// while writing, so no more than the caps ever reaches the disk. See docs/audio.md for the exact rules.
/// </summary>
public sealed class ArchiveExpander
{
    // SharpCompress throws "No password supplied" when it meets an encrypted zip entry without a password, which
    // aborts the whole archive. With this never-matching password it reports IsEncrypted instead and we skip the entry.
    private const string NeverMatchingPassword = "\u0001mtlbatch-no-password\u0001";
    private const int CopyBufferBytes = 81920;

    private readonly ArchiveExpanderOptions _options;
    private readonly InputLimits _limits;
    private readonly ILogger _logger;

    /// <summary>Creates an expander from plain option objects (CLI, tests).</summary>
    public ArchiveExpander(ArchiveExpanderOptions options, InputLimits limits, ILogger<ArchiveExpander>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limits);
        _options = options;
        _limits = limits;
        _logger = logger ?? NullLogger<ArchiveExpander>.Instance;
    }

    /// <summary>Creates an expander from configuration-bound options (dependency injection).</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public ArchiveExpander(IOptions<ArchiveExpanderOptions> options, IOptions<InputLimits> limits, ILogger<ArchiveExpander> logger)
        : this(options.Value, limits.Value, logger)
    {
    }

    /// <summary>
    /// Expands the archive file at <paramref name="archivePath"/>; entries are named
    /// <c>{file name without archive extension}/{entry path}</c>, e.g. <c>batch1/sub/a.wav</c>.
    /// </summary>
    public async IAsyncEnumerable<AudioInput> ExpandAsync(string archivePath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await foreach (var item in ExpandAsync(stream, Path.GetFileName(archivePath), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>
    /// Expands an archive read from <paramref name="archive"/> (seekable or not; it is read forward once and left
    /// open). <paramref name="archiveName"/> is the archive's relative name ('/'-separated, e.g. a blob name such as
    /// <c>uploads/batch1.zip</c>); entries are named <c>uploads/batch1/{entry path}</c>. Problems with one entry
    /// yield an error item and expansion continues; problems with the archive itself (not an archive, damaged, too
    /// many entries, total size cap, decompression bomb) yield an error item named <paramref name="archiveName"/> or
    /// the offending entry, and expansion stops.
    /// </summary>
    public async IAsyncEnumerable<AudioInput> ExpandAsync(Stream archive, string archiveName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentException.ThrowIfNullOrEmpty(archiveName);
        var archiveRelative = string.Join('/', archiveName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries));
        var state = new ExpansionState(archiveRelative, InputNames.StripArchiveExtension(archiveRelative));

        if (archive.CanSeek && TryReadZipEntryCount(archive, out var declared) && declared > _limits.MaxArchiveEntries)
        {
            _logger.LogWarning("Rejected archive {Archive}: {Entries} entries declared, limit {Limit}", archiveRelative, declared, _limits.MaxArchiveEntries);
            yield return AudioInput.Failed(archiveRelative, archiveRelative, ErrorCodes.ArchiveRejected,
                $"'{archiveRelative}' has {declared:N0} entries; the limit is {_limits.MaxArchiveEntries:N0}. Nothing was extracted.");
            yield break;
        }

        var counting = new CountingReadStream(archive);
        var (reader, openError) = await OpenReaderAsync(counting, archiveRelative, cancellationToken).ConfigureAwait(false);
        if (reader is null)
        {
            yield return openError!;
            yield break;
        }
        var yielded = 0;
        try
        {
            while (true)
            {
                var step = await NextAsync(reader, counting, state, cancellationToken).ConfigureAwait(false);
                if (step.Item is not null)
                {
                    yielded++;
                    yield return step.Item;
                }
                if (step.Stop) break;
            }
            _logger.LogInformation("Expanded archive {Archive}: {Entries} entries, {Bytes} bytes decompressed",
                archiveRelative, state.Entries, state.TotalExpanded);
        }
        finally
        {
            if (reader is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else (reader as IDisposable)?.Dispose();
        }
        if (yielded == 0)
        {
            // Every upload must end in a result or an error record: an archive with nothing in it must not vanish silently.
            yield return AudioInput.Failed(archiveRelative, archiveRelative, ErrorCodes.ArchiveRejected,
                $"'{archiveRelative}' contains no files to analyse (it is empty or holds only folders, hidden files and OS junk).");
        }
    }

    private async Task<(IAsyncReader? Reader, AudioInput? Error)> OpenReaderAsync(Stream stream, string archiveRelative, CancellationToken cancellationToken)
    {
        IAsyncReader reader;
        try
        {
            var readerOptions = new ReaderOptions { LeaveStreamOpen = true, Password = NeverMatchingPassword };
            reader = await ReaderFactory.OpenAsyncReader(stream, readerOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsArchiveFault(e))
        {
            _logger.LogWarning("Rejected archive {Archive}: {Reason}", archiveRelative, e.Message);
            return (null, AudioInput.Failed(archiveRelative, archiveRelative, ErrorCodes.ArchiveRejected,
                $"'{archiveRelative}' is not a readable zip, tar or tar.gz archive ({e.Message})."));
        }
        if (reader.Type is ArchiveType.Zip or ArchiveType.Tar) return (reader, null);
        var type = reader.Type;
        if (reader is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        return (null, AudioInput.Failed(archiveRelative, archiveRelative, ErrorCodes.ArchiveRejected,
            $"'{archiveRelative}' is a {type} archive; only zip, tar and tar.gz are accepted."));
    }

    private async Task<Step> NextAsync(IAsyncReader reader, CountingReadStream counting, ExpansionState state, CancellationToken cancellationToken)
    {
        try
        {
            if (!await reader.MoveToNextEntryAsync(cancellationToken).ConfigureAwait(false)) return Step.Done;
        }
        catch (Exception e) when (IsArchiveFault(e))
        {
            return Step.Fail(AudioInput.Failed(state.ArchiveName, state.ArchiveName, ErrorCodes.ArchiveRejected,
                $"'{state.ArchiveName}' is damaged after {state.Entries} entries ({e.Message}); the rest was not extracted."), stop: true);
        }

        var entry = reader.Entry;
        // Entries that are not extracted are still read through (and measured) here rather than left to SharpCompress:
        // skipping compressed data means decompressing it, and a bomb hidden in a skipped entry must hit the limits too.
        if (entry.IsDirectory) return await SkipAsync(reader, counting, state, entry.Key ?? "", Step.Skip, cancellationToken).ConfigureAwait(false);
        state.Entries++;
        if (state.Entries > _limits.MaxArchiveEntries)
        {
            _logger.LogWarning("Stopped archive {Archive} at entry {Entries}: limit {Limit}", state.ArchiveName, state.Entries, _limits.MaxArchiveEntries);
            reader.Cancel();
            return Step.Fail(AudioInput.Failed(state.ArchiveName, state.ArchiveName, ErrorCodes.ArchiveRejected,
                $"'{state.ArchiveName}' has more than {_limits.MaxArchiveEntries:N0} entries, the limit; the rest was not extracted."), stop: true);
        }

        var raw = entry.Key ?? "";
        var normalized = InputNames.NormalizeEntryName(raw, _limits.MaxNameLength);
        if (normalized is null)
        {
            var defanged = InputNames.Defang(raw);
            return await SkipAsync(reader, counting, state, defanged, Step.Fail(AudioInput.Failed($"{state.Prefix}/{defanged}", $"{state.ArchiveName}!{defanged}", ErrorCodes.UnsafeName,
                $"Entry name '{defanged}' in '{state.ArchiveName}' is unsafe (\"..\", absolute path, drive letter, control characters " +
                $"or longer than {_limits.MaxNameLength} characters) and was not extracted.")), cancellationToken).ConfigureAwait(false);
        }
        if (normalized.Split('/').Any(InputNames.IsSkipped)) return await SkipAsync(reader, counting, state, normalized, Step.Skip, cancellationToken).ConfigureAwait(false);

        var relative = $"{state.Prefix}/{normalized}";
        var source = $"{state.ArchiveName}!{normalized}";
        if (entry.IsEncrypted)
        {
            // Cannot be read without the password; SharpCompress skips the stored (compressed) bytes as they are.
            return Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.UnsupportedMedia,
                $"'{normalized}' in '{state.ArchiveName}' is encrypted; password-protected entries are not supported."));
        }
        Step? rejection = null;
        if (!state.Names.Add(relative))
        {
            rejection = Step.Fail(AudioInput.Failed($"{relative}~{state.Entries}", source, ErrorCodes.UnsafeName,
                $"'{state.ArchiveName}' contains '{normalized}' more than once; only the first copy is analysed."));
        }
        else if (entry.LinkTarget is not null)
        {
            rejection = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.UnsupportedMedia,
                $"'{normalized}' in '{state.ArchiveName}' is a symbolic or hard link; links are not followed."));
        }
        else if (InputNames.IsArchiveName(normalized))
        {
            rejection = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.ArchiveRejected,
                $"'{normalized}' in '{state.ArchiveName}' is an archive inside an archive; nested archives are not expanded (submit it on its own)."));
        }
        if (rejection is { } r) return await SkipAsync(reader, counting, state, normalized, r, cancellationToken).ConfigureAwait(false);

        // Each entry gets its own uniquely named temp file (never derived from the entry name beyond a safe extension),
        // so items can be disposed in any order, on any thread, while the expansion goes on.
        var tempRoot = _options.TempFolder ?? Path.GetTempPath();
        Directory.CreateDirectory(tempRoot);
        var target = Path.Combine(tempRoot, $"mtlbatch-entry-{Guid.NewGuid():N}{SafeMediaPath.SafeExtension(normalized)}");
        var failure = await CopyEntryAsync(reader, counting, state, normalized, relative, source, target, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            TryDelete(target);
            return failure.Value;
        }
        return new Step(new AudioInput(relative, target, source, null, ownsFile: true), Stop: false);
    }

    /// <summary>Reads an entry that is not extracted to its end under the same limits; returns <paramref name="outcome"/> unless a limit stops the archive.</summary>
    private async Task<Step> SkipAsync(IAsyncReader reader, CountingReadStream counting, ExpansionState state, string label, Step outcome, CancellationToken cancellationToken)
    {
        var failure = await CopyEntryAsync(reader, counting, state, label, $"{state.Prefix}/{label}", $"{state.ArchiveName}!{label}", null, cancellationToken).ConfigureAwait(false);
        if (failure is not { } f) return outcome;
        // A stopped archive still reports the item that was being skipped (e.g. its unsafe-name record) only via logs.
        return f;
    }

    /// <summary>
    /// Copies the current entry to <paramref name="target"/> (or discards it when null), enforcing, before each write:
    /// the archive's total expanded bytes, the entry's compression ratio against the compressed bytes it really
    /// consumed, and the per-file size limit (that one only stops writing; the rest of the entry is read and discarded).
    /// Returns null on success, else the failure step. On an archive-stopping failure the reader is cancelled, so
    /// SharpCompress does not decompress the rest of the entry to skip it.
    /// </summary>
    private async Task<Step?> CopyEntryAsync(IAsyncReader reader, CountingReadStream counting, ExpansionState state,
        string label, string relative, string source, string? target, CancellationToken cancellationToken)
    {
        var startConsumed = counting.BytesRead;
        long expanded = 0;
        Step? failure = null;
        FileStream? output = null;
        EntryStream? input = null;
        var reachedEnd = false;
        var buffer = new byte[CopyBufferBytes];
        try
        {
            if (target is not null) output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            input = await reader.OpenEntryStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while (true)
            {
                read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    reachedEnd = true;
                    break;
                }
                var consumed = counting.BytesRead - startConsumed;
                var ratioCap = Math.Max(_options.RatioGraceBytes, (long)Math.Min(long.MaxValue / 2.0, _limits.MaxCompressionRatio * consumed));
                if (state.TotalExpanded + expanded + read > _limits.MaxArchiveExpandedBytes)
                {
                    _logger.LogWarning("Stopped archive {Archive} at {Entry}: total expanded size cap {Cap} bytes", state.ArchiveName, label, _limits.MaxArchiveExpandedBytes);
                    failure = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.ArchiveRejected,
                        $"'{state.ArchiveName}' expands to more than {_limits.MaxArchiveExpandedBytes:N0} bytes, the limit; extraction stopped at '{label}'."), stop: true);
                    break;
                }
                if (expanded + read > ratioCap)
                {
                    _logger.LogWarning("Stopped archive {Archive} at {Entry}: {Expanded} bytes from {Consumed} compressed bytes exceeds ratio {Ratio}",
                        state.ArchiveName, label, expanded + read, consumed, _limits.MaxCompressionRatio);
                    failure = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.ArchiveRejected,
                        $"'{label}' in '{state.ArchiveName}' expands more than {_limits.MaxCompressionRatio:0}x its compressed size " +
                        $"(decompression-bomb guard); extraction of this archive stopped after {expanded:N0} bytes."), stop: true);
                    break;
                }
                if (output is not null && expanded + read > _limits.MaxUploadBytes)
                {
                    failure = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.TooLarge,
                        $"'{label}' in '{state.ArchiveName}' is larger than {_limits.MaxUploadBytes:N0} bytes, the limit."));
                    await output.DisposeAsync().ConfigureAwait(false);
                    output = null; // keep reading (and measuring) to the end of the entry, but write nothing more
                }
                if (output is not null) await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                expanded += read;
            }
        }
        catch (Exception e) when (IsArchiveFault(e))
        {
            failure = Step.Fail(AudioInput.Failed(relative, source, ErrorCodes.ArchiveRejected,
                $"'{label}' in '{state.ArchiveName}' cannot be extracted ({e.Message}); the rest of the archive was not extracted."), stop: true);
        }
        finally
        {
            state.TotalExpanded += expanded;
            if (output is not null) await output.DisposeAsync().ConfigureAwait(false);
            if (input is not null && reachedEnd)
            {
                await input.DisposeAsync().ConfigureAwait(false);
            }
            else if (input is not null)
            {
                // Stopping mid-entry (limit, damage, cancellation): disposing SharpCompress's entry stream would skip
                // to the end of the entry by decompressing it all (measured: 12-15 s for a 1 GB tar.gz bomb, even after
                // Cancel()). The entry stream owns no OS resources; the reader and the source stream are disposed by
                // the caller, so it is simply abandoned.
                reader.Cancel();
            }
        }
        return failure;
    }

    /// <summary>
    /// Reads the entry count from a zip's end-of-central-directory record (zip64 aware) so an archive with too many
    /// entries is rejected before anything is extracted. Restores the stream position; false when not a zip.
    /// </summary>
    internal static bool TryReadZipEntryCount(Stream stream, out long entries)
    {
        entries = 0;
        var start = stream.Position;
        try
        {
            var length = stream.Length - start;
            if (length < 22) return false;
            var tailLength = (int)Math.Min(length, 22 + 65535 + 20);
            var tail = new byte[tailLength];
            stream.Position = start + length - tailLength;
            stream.ReadExactly(tail);
            for (var i = tailLength - 22; i >= 0; i--)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != 0x06054b50) continue;
                entries = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
                if (entries == 0xFFFF && i >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i - 20)) == 0x07064b50)
                {
                    var zip64Offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(i - 12));
                    if (zip64Offset < 0 || zip64Offset + 56 > length) return false;
                    var record = new byte[56];
                    stream.Position = start + zip64Offset;
                    stream.ReadExactly(record);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(record) != 0x06064b50) return false;
                    entries = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)), long.MaxValue);
                }
                return true;
            }
            return false;
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            return false;
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static bool IsArchiveFault(Exception e) =>
        e is SharpCompressException or InvalidDataException or EndOfStreamException or System.Security.Cryptography.CryptographicException or SharpCompress.Common.CryptographicException
            or NotSupportedException or InvalidOperationException or ArgumentException or IndexOutOfRangeException
            or OverflowException or FormatException;

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private readonly record struct Step(AudioInput? Item, bool Stop)
    {
        public static Step Done => new(null, true);
        public static Step Skip => new(null, false);
        public static Step Fail(AudioInput item, bool stop = false) => new(item, stop);
    }

    private sealed class ExpansionState(string archiveName, string prefix)
    {
        public string ArchiveName { get; } = archiveName;
        public string Prefix { get; } = prefix;
        public int Entries { get; set; }
        /// <summary>Bytes decompressed so far (extracted or read through), counted against the archive's total cap.</summary>
        public long TotalExpanded { get; set; }
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }
}
