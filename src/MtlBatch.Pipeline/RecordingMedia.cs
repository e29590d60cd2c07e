using System.Globalization;
using System.Runtime.CompilerServices;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// A recording decoded to the pipeline's internal format (16 kHz mono 16-bit PCM WAV): the decoded duration and what
/// the container declared (ffprobe) before decoding.
/// </summary>
public sealed record DecodedRecording(double DurationSeconds, int SourceSampleRate, int SourceChannels, double DeclaredDurationSeconds);

/// <summary>
/// The pipeline's use of MtlBatch.Audio: probe + decode untrusted media (limits, allow-lists) into the decoded WAV,
/// expand archives (safety limits, mirrored entry names), read the WAV back in blocks, hash files.
/// </summary>
public sealed class RecordingMedia(AudioDecoder decoder, ArchiveExpander archives)
{
    /// <summary>Probes and decodes <paramref name="input"/>; throws <see cref="MtlBatch.Core.MtlBatchException"/> for unusable media.</summary>
    public async Task<DecodedRecording> DecodeToWavAsync(string input, string wavPath, CancellationToken cancellationToken)
    {
        var info = await decoder.ProbeAsync(input, cancellationToken).ConfigureAwait(false);
        var frames = await WavWriter.WriteAllAsync(wavPath, decoder.DecodeAsync(info, channel: null, cancellationToken), WavSampleFormat.Pcm16,
            AudioDecoder.SampleRate, cancellationToken).ConfigureAwait(false);
        return new DecodedRecording((double)frames / AudioDecoder.SampleRate, info.SampleRate, info.Channels, info.DurationSeconds);
    }

    /// <summary>Decodes one channel (0-based) of <paramref name="input"/> into its own 16 kHz mono WAV (split-channel analysis).</summary>
    public async Task DecodeChannelToWavAsync(string input, int channel, string wavPath, CancellationToken cancellationToken)
    {
        var info = await decoder.ProbeAsync(input, cancellationToken).ConfigureAwait(false);
        await WavWriter.WriteAllAsync(wavPath, decoder.DecodeAsync(info, channel, cancellationToken), WavSampleFormat.Pcm16,
            AudioDecoder.SampleRate, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>input-truncated</c> when the decoded audio falls short of the declared duration by more than the tolerance
    /// (<paramref name="toleranceSeconds"/> and <paramref name="toleranceRatio"/> of the declared duration, whichever
    /// is larger: declared durations of compressed streams are estimates); null otherwise.
    /// </summary>
    public static ResultWarning? TruncationWarning(DecodedRecording decoded, double toleranceSeconds, double toleranceRatio)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        var missing = decoded.DeclaredDurationSeconds - decoded.DurationSeconds;
        if (missing <= Math.Max(toleranceSeconds, toleranceRatio * decoded.DeclaredDurationSeconds)) return null;
        return new ResultWarning
        {
            Code = WarningCodes.InputTruncated,
            Message = string.Create(CultureInfo.InvariantCulture,
                $"The input declares {decoded.DeclaredDurationSeconds:F1} s but only {decoded.DurationSeconds:F1} s could be decoded (the file is cut short or damaged); the result covers the decoded part."),
            DeclaredDurationSeconds = Math.Round(decoded.DeclaredDurationSeconds, 3),
            DecodedDurationSeconds = Math.Round(decoded.DurationSeconds, 3),
        };
    }

    /// <summary>
    /// One item per archive entry, named <c>{upload without archive extension}/{entry path}</c> (the same names
    /// <c>mtlbatch analyze</c> gives). Items with an error describe an entry (or the whole archive) that cannot be used.
    /// Dispose each item: extracted entries are temp files.
    /// </summary>
    public async IAsyncEnumerable<AudioInput> ExpandArchiveAsync(string archivePath, string uploadName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await foreach (var item in archives.ExpandAsync(stream, uploadName, cancellationToken).ConfigureAwait(false))
            yield return item;
    }

    public IAsyncEnumerable<float[]> ReadWavAsync(string wavPath, CancellationToken cancellationToken) =>
        WavReader.ReadBlocksAsync(wavPath, AudioDecoder.SampleRate, cancellationToken);

    public static Task<string> Sha256Async(string path, CancellationToken cancellationToken) => Sha256.OfFileAsync(path, cancellationToken);

    public static bool IsArchive(string name) => InputNames.IsArchiveName(name);

    /// <summary>The results folder prefix that holds an upload's outcomes (archives: the name without its extension).</summary>
    public static string OutcomeFolder(string upload) => IsArchive(upload) ? InputNames.StripArchiveExtension(upload) : upload;
}
