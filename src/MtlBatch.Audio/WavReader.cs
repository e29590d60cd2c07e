using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MtlBatch.Audio;

/// <summary>
/// Reads the project's own WAV files (corpus audio, decoded intermediates): PCM 8/16/24/32-bit and 32-bit float,
/// plain or WAVE_FORMAT_EXTENSIBLE. Untrusted uploads go through <see cref="AudioDecoder"/> instead.
/// </summary>
public static class WavReader
{
    /// <summary>Largest file <see cref="ReadAll"/> loads (2^30 samples = 4 GB of floats); stream longer files with <see cref="ReadBlocksAsync"/>.</summary>
    public const long MaxReadAllSamples = 1L << 30;

    /// <summary>Parses the header of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a supported WAV file.</exception>
    public static WavInfo ReadInfo(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadInfo(stream);
    }

    /// <summary>Parses the header at the start of <paramref name="stream"/> and leaves it positioned at the first sample.</summary>
    /// <exception cref="InvalidDataException">Not a supported WAV file.</exception>
    public static WavInfo ReadInfo(Stream stream)
    {
        Span<byte> head = stackalloc byte[12];
        if (stream.ReadAtLeast(head, 12, throwOnEndOfStream: false) < 12 || !head[..4].SequenceEqual("RIFF"u8) || !head[8..12].SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("Not a RIFF/WAVE file.");
        }
        long offset = 12;
        (int rate, int channels, int bits, bool isFloat)? fmt = null;
        Span<byte> chunk = stackalloc byte[8];
        while (true)
        {
            if (stream.ReadAtLeast(chunk, 8, throwOnEndOfStream: false) < 8) throw new InvalidDataException("WAV file has no data chunk.");
            offset += 8;
            var id = chunk[..4];
            var size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > 1024) throw new InvalidDataException($"Bad fmt chunk size {size}.");
                var body = new byte[size + (size & 1)];
                stream.ReadExactly(body);
                offset += body.Length;
                int tag = BinaryPrimitives.ReadUInt16LittleEndian(body);
                int channels = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(2));
                var rate = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(4));
                int bits = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(14));
                if (tag == 0xFFFE && size >= 40) tag = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(24)); // sub-format GUID starts with the tag
                var isFloat = tag == 3;
                if (!(tag == 1 && bits is 8 or 16 or 24 or 32) && !(isFloat && bits == 32))
                {
                    throw new InvalidDataException($"Unsupported WAV encoding (format tag {tag}, {bits} bits).");
                }
                if (channels < 1 || rate < 1) throw new InvalidDataException("WAV header has no channels or sample rate.");
                fmt = (rate, channels, bits, isFloat);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (fmt is not { } f) throw new InvalidDataException("WAV data chunk comes before the fmt chunk.");
                var bytesPerFrame = f.channels * f.bits / 8;
                // 0xFFFFFFFF (streamed or > 4 GB, see WavWriter) means "until the end of the file".
                long dataBytes = size == uint.MaxValue && stream.CanSeek ? stream.Length - offset : size;
                if (stream.CanSeek) dataBytes = Math.Min(dataBytes, stream.Length - offset); // truncated files: read what is there
                return new WavInfo(f.rate, f.channels, f.bits, f.isFloat, offset, dataBytes / bytesPerFrame);
            }
            else
            {
                var skip = size + (size & 1L);
                if (stream.CanSeek) stream.Seek(skip, SeekOrigin.Current);
                else stream.CopyTo(Stream.Null, (int)Math.Min(skip, 81920)); // small chunks only in our own files
                offset += skip;
            }
        }
    }

    /// <summary>Loads a whole (small) file; samples are interleaved when the file has several channels.</summary>
    public static WavAudio ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var info = ReadInfo(stream);
        var total = info.FrameCount * info.Channels;
        if (total > MaxReadAllSamples) throw new InvalidDataException($"'{path}' has {total:N0} samples; stream it with ReadBlocksAsync.");
        var samples = new float[total];
        var bytesPerSample = info.BitsPerSample / 8;
        var buffer = new byte[Math.Min(total * bytesPerSample, 1 << 20)];
        var done = 0;
        while (done < samples.Length)
        {
            var want = (int)Math.Min(buffer.Length / bytesPerSample, samples.Length - done) * bytesPerSample;
            stream.ReadExactly(buffer, 0, want);
            Decode(buffer.AsSpan(0, want), info, samples.AsSpan(done));
            done += want / bytesPerSample;
        }
        return new WavAudio(samples, info.SampleRate, info.Channels);
    }

    /// <summary>Loads a whole (small) file asynchronously.</summary>
    public static Task<WavAudio> ReadAllAsync(string path, CancellationToken cancellationToken) =>
        Task.Run(() => ReadAll(path), cancellationToken);

    /// <summary>
    /// Streams a file in blocks of <paramref name="blockFrames"/> frames (interleaved when multi-channel; the last block
    /// may be shorter). Memory stays at one block whatever the file length.
    /// </summary>
    public static async IAsyncEnumerable<float[]> ReadBlocksAsync(string path, int blockFrames = AudioDecoder.SampleRate,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockFrames, 1);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        var info = ReadInfo(stream);
        var buffer = new byte[blockFrames * info.BytesPerFrame];
        var remaining = info.FrameCount * info.BytesPerFrame;
        while (remaining > 0)
        {
            var want = (int)Math.Min(buffer.Length, remaining);
            var read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            read -= read % info.BytesPerFrame;
            if (read == 0) yield break;
            remaining -= read;
            var block = new float[read / (info.BitsPerSample / 8)];
            Decode(buffer.AsSpan(0, read), info, block);
            yield return block;
        }
    }

    private static void Decode(ReadOnlySpan<byte> bytes, WavInfo info, Span<float> destination)
    {
        switch (info.BitsPerSample)
        {
            case 32 when info.IsFloat:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case 16:
                var pcm16 = MemoryMarshal.Cast<byte, short>(bytes);
                for (var i = 0; i < pcm16.Length; i++) destination[i] = pcm16[i] / 32768f;
                break;
            case 8:
                for (var i = 0; i < bytes.Length; i++) destination[i] = (bytes[i] - 128) / 128f;
                break;
            case 24:
                for (int i = 0, j = 0; j + 2 < bytes.Length; i++, j += 3)
                {
                    destination[i] = ((bytes[j] << 8 | bytes[j + 1] << 16 | bytes[j + 2] << 24) >> 8) / 8388608f;
                }
                break;
            case 32:
                var pcm32 = MemoryMarshal.Cast<byte, int>(bytes);
                for (var i = 0; i < pcm32.Length; i++) destination[i] = pcm32[i] / 2147483648f;
                break;
        }
    }
}
