using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FFMpegCore;
using FFMpegCore.Exceptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Audio;

/// <summary>
/// Probes and decodes untrusted media with ffmpeg into 16 kHz mono float32 samples in [-1, 1].
/// Every call validates the input first (size, playlist sniff, container allow-list, audio stream, duration) and
/// fails with a <see cref="MtlBatchException"/> carrying a stable <see cref="ErrorCodes"/> code.
/// Thread-safe: one instance can serve concurrent calls.
/// </summary>
public sealed class AudioDecoder
{
    /// <summary>The sample rate every decoded block has.</summary>
    public const int SampleRate = 16_000;

    private readonly AudioDecoderOptions _options;
    private readonly InputLimits _limits;
    private readonly ILogger _logger;
    private readonly FFOptions _ffOptions;

    /// <summary>Creates a decoder from plain option objects (CLI, tests).</summary>
    public AudioDecoder(AudioDecoderOptions options, InputLimits limits, ILogger<AudioDecoder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limits);
        options.Validate();
        _options = options;
        _limits = limits;
        _logger = logger ?? NullLogger<AudioDecoder>.Instance;
        _ffOptions = new FFOptions { BinaryFolder = options.BinaryFolder ?? string.Empty };
    }

    /// <summary>Creates a decoder from configuration-bound options (dependency injection).</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public AudioDecoder(IOptions<AudioDecoderOptions> options, IOptions<InputLimits> limits, ILogger<AudioDecoder> logger)
        : this(options.Value, limits.Value, logger)
    {
    }

    /// <summary>
    /// Inspects <paramref name="path"/> with ffprobe and checks it can be analysed.
    /// Throws <see cref="MtlBatchException"/> with <c>empty-audio</c> (zero bytes or zero duration), <c>too-large</c>
    /// (over <see cref="InputLimits.MaxUploadBytes"/>), <c>unsupported-media</c> (unreadable, garbage, playlist or a
    /// container outside <see cref="MediaFormats.AllowedDemuxers"/>), <c>no-audio-stream</c> (e.g. video without sound),
    /// <c>too-long</c> (over <see cref="InputLimits.MaxDurationSeconds"/>) or <c>timeout</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    public async Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var name = System.IO.Path.GetFileName(fullPath);
        var file = new FileInfo(fullPath);
        if (!file.Exists) throw new FileNotFoundException($"Input '{fullPath}' does not exist.", fullPath);
        // Size 0 also covers FIFOs and devices, which must never be opened (opening a FIFO blocks).
        if (file.Length == 0) throw new MtlBatchException(ErrorCodes.EmptyAudio, $"'{name}' is empty (0 bytes).");
        if (file.Length > _limits.MaxUploadBytes)
        {
            throw new MtlBatchException(ErrorCodes.TooLarge,
                $"'{name}' is {file.Length:N0} bytes; the limit is {_limits.MaxUploadBytes:N0} bytes.");
        }
        MediaFormats.RejectIndirectInput(fullPath, name);
        var analysis = await RunProbeAsync(fullPath, name, cancellationToken).ConfigureAwait(false);
        return Validate(analysis, fullPath, name, file.Length);
    }

    /// <summary>
    /// Streams the first audio stream of <paramref name="path"/> as 16 kHz mono float32 blocks of
    /// <see cref="AudioDecoderOptions.BlockSamples"/> samples (the last block may be shorter). Probes first
    /// (same errors as <see cref="ProbeAsync"/>). Memory stays flat: at most one block is buffered, and ffmpeg
    /// waits while the caller is busy. Breaking out of the loop or cancelling kills ffmpeg.
    /// </summary>
    /// <param name="path">The input file.</param>
    /// <param name="channel">Null downmixes all channels; an index selects that source channel only
    /// (call-centre recordings put agent and customer on separate channels).</param>
    /// <param name="cancellationToken">Cancels decoding and kills ffmpeg.</param>
    public async IAsyncEnumerable<float[]> DecodeAsync(string path, int? channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var media = await ProbeAsync(path, cancellationToken).ConfigureAwait(false);
        await foreach (var block in DecodeAsync(media, channel, cancellationToken).ConfigureAwait(false))
        {
            yield return block;
        }
    }

    /// <summary>
    /// Like <see cref="DecodeAsync(string, int?, CancellationToken)"/> for an input already accepted by
    /// <see cref="ProbeAsync"/> (saves the second ffprobe run). Fails with <c>decode-failed</c> when ffmpeg exits with an
    /// error, <c>empty-audio</c> when it produces no samples, <c>too-long</c> when the stream runs past
    /// <see cref="InputLimits.MaxDurationSeconds"/> (headers can lie) and <c>timeout</c> when ffmpeg stalls.
    /// </summary>
    public async IAsyncEnumerable<float[]> DecodeAsync(MediaInfo media, int? channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(media);
        if (channel is { } c && (c < 0 || c >= media.Channels))
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, $"'{media.Path}' has {media.Channels} channel(s).");
        }
        var name = System.IO.Path.GetFileName(media.Path);
        var maxSamples = (long)Math.Ceiling(_limits.MaxDurationSeconds * SampleRate) + SampleRate;

        using var safePath = SafeMediaPath.For(media.Path, _options.TempFolder);
        var startInfo = new ProcessStartInfo(GlobalFFOptions.GetFFMpegBinaryPath(_ffOptions), BuildDecodeArguments(safePath.Path, channel))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        _logger.LogDebug("Decoding {Name} (channel {Channel}): ffmpeg {Arguments}", name, channel, startInfo.Arguments);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start ffmpeg ('{startInfo.FileName}'): {e.Message}", e);
        }
        process.StandardInput.Close();
        var stderr = new StderrTail();
        var stderrTask = stderr.PumpAsync(process.StandardError, CancellationToken.None);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var output = process.StandardOutput.BaseStream;
        var blockBytes = new byte[_options.BlockSamples * sizeof(float)];
        long samples = 0;
        try
        {
            while (true)
            {
                int filled;
                idle.CancelAfter(_options.DecodeIdleTimeout);
                try
                {
                    filled = await output.ReadAtLeastAsync(blockBytes, blockBytes.Length, throwOnEndOfStream: false, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new MtlBatchException(ErrorCodes.Timeout,
                        $"ffmpeg produced no audio for {_options.DecodeIdleTimeout.TotalSeconds:0} s while decoding '{name}'.");
                }
                idle.CancelAfter(Timeout.Infinite); // the caller's processing time between blocks is not ffmpeg's idle time

                var count = filled / sizeof(float);
                if (count > 0)
                {
                    samples += count;
                    if (samples > maxSamples)
                    {
                        throw new MtlBatchException(ErrorCodes.TooLong,
                            $"'{name}' decodes to more than {_limits.MaxDurationSeconds:0} s of audio, the limit.");
                    }
                    var block = new float[count];
                    MemoryMarshal.Cast<byte, float>(blockBytes.AsSpan(0, count * sizeof(float))).CopyTo(block);
                    yield return block;
                }
                if (filled < blockBytes.Length) break;
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await stderrTask.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new MtlBatchException(ErrorCodes.DecodeFailed,
                    $"ffmpeg could not decode '{name}' (exit code {process.ExitCode}): {stderr.Text(name, media.Path, safePath.Path)}");
            }
            if (samples == 0)
            {
                throw new MtlBatchException(ErrorCodes.EmptyAudio, $"'{name}' contains no audio samples.");
            }
            _logger.LogDebug("Decoded {Name}: {Samples} samples at 16 kHz", name, samples);
        }
        finally
        {
            if (!process.HasExited)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            await stderrTask.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Builds the ffmpeg command line through FFMpegCore. The process itself is run here, not by FFMpegCore:
    /// FFMpegCore 6's <c>OutputToPipe</c> disposes its pipe as soon as ffmpeg exits, so a consumer slower than ffmpeg
    /// loses the unread tail of the output (measured: ~8k of 160k samples lost with a slow reader). Reading ffmpeg's
    /// stdout directly keeps every sample and gives natural back-pressure.
    /// </summary>
    internal string BuildDecodeArguments(string inputPath, int? channel)
    {
        // Input options: no stdin, no banner, only errors on stderr; only the file protocol and real containers.
        var inputArguments = $"-nostdin -hide_banner -loglevel error -protocol_whitelist file -format_whitelist {MediaFormats.WhitelistArgument}";
        var mixing = channel is { } c ? $"-af pan=mono|c0=c{c}" : "-ac 1";
        var outputArguments = $"-map 0:a:0 -vn -sn -dn {mixing} -ar {SampleRate} -c:a pcm_f32le -f f32le";
        return FFMpegArguments
            .FromFileInput(inputPath, verifyExists: false, o => o.WithCustomArgument(inputArguments))
            .OutputToUrl("pipe:1", o => o.WithCustomArgument(outputArguments))
            .Arguments;
    }

    /// <summary>Runs ffprobe (through FFMpegCore) with the protocol and format allow-lists; no playlist sniff.</summary>
    internal async Task<IMediaAnalysis> RunProbeAsync(string fullPath, string name, CancellationToken cancellationToken)
    {
        using var safePath = SafeMediaPath.For(fullPath, _options.TempFolder);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProbeTimeout);
        var arguments = $"-protocol_whitelist file -format_whitelist {MediaFormats.WhitelistArgument}";
        try
        {
            return await FFProbe.AnalyseAsync(safePath.Path, _ffOptions, arguments, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MtlBatchException(ErrorCodes.Timeout, $"ffprobe did not finish reading '{name}' within {_options.ProbeTimeout.TotalSeconds:0} s.");
        }
        catch (FFProbeProcessException e)
        {
            var detail = StderrTail.Clean(string.Join('\n', e.StandardError), name, fullPath, safePath.Path);
            throw new MtlBatchException(ErrorCodes.UnsupportedMedia, $"'{name}' is not a readable audio or video file: {detail}", e);
        }
        catch (Exception e) when (e is FFMpegException or JsonException or FormatException)
        {
            throw new MtlBatchException(ErrorCodes.UnsupportedMedia, $"'{name}' is not a readable audio or video file: {e.Message}", e);
        }
    }

    private MediaInfo Validate(IMediaAnalysis analysis, string fullPath, string name, long size)
    {
        var format = analysis.Format?.FormatName ?? "";
        if (!MediaFormats.IsAllowedFormat(format))
        {
            throw new MtlBatchException(ErrorCodes.UnsupportedMedia, $"'{name}' has container format '{format}', which is not accepted.");
        }
        var audio = analysis.AudioStreams.OrderBy(s => s.Index).FirstOrDefault();
        if (audio is null)
        {
            var what = analysis.VideoStreams.Count > 0 ? "a video without an audio track" : "a file without an audio stream";
            throw new MtlBatchException(ErrorCodes.NoAudioStream, $"'{name}' is {what}; there is nothing to analyse.");
        }
        var duration = audio.Duration > TimeSpan.Zero ? audio.Duration : analysis.Format!.Duration;
        if (duration <= TimeSpan.Zero)
        {
            throw new MtlBatchException(ErrorCodes.EmptyAudio, $"'{name}' has an audio stream of zero duration.");
        }
        if (duration.TotalSeconds > _limits.MaxDurationSeconds)
        {
            throw new MtlBatchException(ErrorCodes.TooLong,
                $"'{name}' lasts {duration.TotalSeconds:0} s; the limit is {_limits.MaxDurationSeconds:0} s.");
        }
        var channels = audio.Channels ?? 0;
        if (channels <= 0)
        {
            throw new MtlBatchException(ErrorCodes.UnsupportedMedia, $"'{name}' has an audio stream without a channel count ({audio.CodecName}).");
        }
        return new MediaInfo
        {
            Path = fullPath,
            SizeBytes = size,
            DurationSeconds = duration.TotalSeconds,
            SampleRate = audio.SampleRateHz ?? 0,
            Channels = channels,
            FormatName = format,
            Codec = audio.CodecName ?? "",
            AudioStreamCount = analysis.AudioStreams.Count,
            HasVideo = analysis.VideoStreams.Count > 0,
        };
    }

    /// <summary>Keeps the last few KB of ffmpeg's stderr for error messages without unbounded growth.</summary>
    private sealed class StderrTail
    {
        private const int MaxChars = 4096;
        private readonly StringBuilder _text = new();

        public async Task PumpAsync(StreamReader reader, CancellationToken cancellationToken)
        {
            var buffer = new char[1024];
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                lock (_text)
                {
                    _text.Append(buffer, 0, read);
                    if (_text.Length > MaxChars) _text.Remove(0, _text.Length - MaxChars);
                }
            }
        }

        public string Text(string name, string fullPath, string safePath)
        {
            lock (_text) return Clean(_text.ToString(), name, fullPath, safePath);
        }

        /// <summary>Trims the message and replaces server paths by the recording's name (error.json is user-visible).</summary>
        public static string Clean(string text, string name, string fullPath, string safePath)
        {
            var cleaned = text.Replace(safePath, name, StringComparison.Ordinal).Replace(fullPath, name, StringComparison.Ordinal).Trim();
            // ffmpeg prefixes messages with its context's memory address ("[mp3 @ 0x55c36a7875c0]"): noise in error.json.
            cleaned = System.Text.RegularExpressions.Regex.Replace(cleaned, @" @ 0x[0-9a-fA-F]+\]", "]");
            cleaned = string.Join(" | ", cleaned.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (cleaned.Length == 0) return "no details from ffmpeg";
            return cleaned.Length <= 600 ? cleaned : string.Concat(cleaned.AsSpan(0, 600), "…");
        }
    }
}
