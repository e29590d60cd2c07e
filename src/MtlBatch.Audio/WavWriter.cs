using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MtlBatch.Audio;

/// <summary>
/// Streams float samples into a RIFF/WAVE file (16-bit PCM or 32-bit float). Memory use is one conversion buffer,
/// whatever the length. On a seekable stream the header sizes are patched when the writer completes; on a
/// non-seekable stream, or past 4 GB of data, they are written as 0xFFFFFFFF ("until end of file"), which
/// ffmpeg and <see cref="WavReader"/> accept.
/// </summary>
public sealed class WavWriter : IAsyncDisposable, IDisposable
{
    private const int HeaderBytes = 44;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly WavSampleFormat _format;
    private readonly int _channels;
    private long _dataBytes;
    private bool _completed;

    /// <summary>Writes to <paramref name="stream"/>, starting at its current position.</summary>
    public WavWriter(Stream stream, int sampleRate = AudioDecoder.SampleRate, int channels = 1,
        WavSampleFormat format = WavSampleFormat.Pcm16, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _format = format;
        _channels = channels;
        SampleRate = sampleRate;
        _stream.Write(BuildHeader(sampleRate, channels, format, _stream.CanSeek ? 0 : -1));
    }

    /// <summary>Creates (or overwrites) the file at <paramref name="path"/>.</summary>
    public static WavWriter Create(string path, int sampleRate = AudioDecoder.SampleRate, int channels = 1, WavSampleFormat format = WavSampleFormat.Pcm16)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        return new WavWriter(stream, sampleRate, channels, format);
    }

    /// <summary>Writes every block of <paramref name="blocks"/> to a new mono file; returns the number of samples written.</summary>
    public static async Task<long> WriteAllAsync(string path, IAsyncEnumerable<float[]> blocks, WavSampleFormat format = WavSampleFormat.Pcm16,
        int sampleRate = AudioDecoder.SampleRate, CancellationToken cancellationToken = default)
    {
        await using var writer = Create(path, sampleRate, 1, format);
        await foreach (var block in blocks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await writer.WriteAsync(block, cancellationToken).ConfigureAwait(false);
        }
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return writer.FramesWritten;
    }

    public int SampleRate { get; }

    /// <summary>Frames (samples per channel) written so far.</summary>
    public long FramesWritten => _dataBytes / (BytesPerSample * _channels);

    private int BytesPerSample => _format == WavSampleFormat.Pcm16 ? 2 : 4;

    /// <summary>Appends interleaved samples (values outside [-1, 1] are clipped for PCM).</summary>
    public void Write(ReadOnlySpan<float> samples)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (samples.Length % _channels != 0) throw new ArgumentException($"Sample count must be a multiple of {_channels} channels.", nameof(samples));
        var bytes = ArrayPool<byte>.Shared.Rent(samples.Length * BytesPerSample);
        try
        {
            var length = Encode(samples, bytes);
            _stream.Write(bytes, 0, length);
            _dataBytes += length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Appends interleaved samples (values outside [-1, 1] are clipped for PCM).</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<float> samples, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (samples.Length % _channels != 0) throw new ArgumentException($"Sample count must be a multiple of {_channels} channels.", nameof(samples));
        var bytes = ArrayPool<byte>.Shared.Rent(samples.Length * BytesPerSample);
        try
        {
            var length = Encode(samples.Span, bytes);
            await _stream.WriteAsync(bytes.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            _dataBytes += length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Patches the header sizes and flushes. Called by Dispose when not called explicitly.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed) return;
        _completed = true;
        if (_stream.CanSeek)
        {
            var end = _stream.Position;
            _stream.Position = end - _dataBytes - HeaderBytes;
            await _stream.WriteAsync(BuildHeader(SampleRate, _channels, _format, _dataBytes), cancellationToken).ConfigureAwait(false);
            _stream.Position = end;
        }
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteAsync().ConfigureAwait(false);
        if (!_leaveOpen) await _stream.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private int Encode(ReadOnlySpan<float> samples, byte[] destination)
    {
        if (_format == WavSampleFormat.Float32)
        {
            MemoryMarshal.AsBytes(samples).CopyTo(destination);
            return samples.Length * 4;
        }
        var pcm = MemoryMarshal.Cast<byte, short>(destination.AsSpan(0, samples.Length * 2));
        for (var i = 0; i < samples.Length; i++)
        {
            var s = samples[i];
            // The reader's scale (1/32768), so 16-bit audio decoded to floats and written again keeps every sample exactly:
            // the pipeline's stored decode then analyses the same samples as `mtlbatch analyze` does from the source.
            pcm[i] = (short)Math.Clamp(MathF.Round(s * 32768f), short.MinValue, short.MaxValue);
        }
        return samples.Length * 2;
    }

    /// <summary>Canonical 44-byte header; <paramref name="dataBytes"/> -1 (or too big for 32 bits) writes "unknown" sizes.</summary>
    private static byte[] BuildHeader(int sampleRate, int channels, WavSampleFormat format, long dataBytes)
    {
        var bits = format == WavSampleFormat.Pcm16 ? 16 : 32;
        var blockAlign = channels * bits / 8;
        var unknown = dataBytes < 0 || dataBytes > uint.MaxValue - HeaderBytes;
        var h = new byte[HeaderBytes];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), unknown ? uint.MaxValue : (uint)(dataBytes + HeaderBytes - 8));
        "WAVEfmt "u8.CopyTo(h.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(20), (short)(format == WavSampleFormat.Pcm16 ? 1 : 3));
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(22), (short)channels);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(24), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(28), sampleRate * blockAlign);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(32), (short)blockAlign);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(34), (short)bits);
        "data"u8.CopyTo(h.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), unknown ? uint.MaxValue : (uint)dataBytes);
        return h;
    }
}
