using System.Buffers.Binary;

namespace MtlBatch.Corpus;

/// <summary>Minimal RIFF/WAVE (PCM 16-bit) reading and writing for the corpus' own files.</summary>
public static class Pcm16Wav
{
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate)
    {
        var dataBytes = samples.Length * 2;
        var buffer = new byte[44 + dataBytes];
        var s = buffer.AsSpan();
        "RIFF"u8.CopyTo(s); BinaryPrimitives.WriteInt32LittleEndian(s[4..], 36 + dataBytes);
        "WAVE"u8.CopyTo(s[8..]); "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], 16); BinaryPrimitives.WriteInt16LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(s[22..], 1); BinaryPrimitives.WriteInt32LittleEndian(s[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], sampleRate * 2); BinaryPrimitives.WriteInt16LittleEndian(s[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(s[34..], 16); "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[40..], dataBytes);
        for (var i = 0; i < samples.Length; i++)
        {
            var v = Math.Clamp(samples[i], -1f, 1f);
            BinaryPrimitives.WriteInt16LittleEndian(s[(44 + i * 2)..], (short)MathF.Round(v * 32767f));
        }
        File.WriteAllBytes(path, buffer);
    }

    /// <summary>Reads a PCM 16-bit WAV file (any channel count: channels are averaged). Returns samples and rate.</summary>
    public static (float[] Samples, int SampleRate) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var s = bytes.AsSpan();
        if (bytes.Length < 12 || !s[..4].SequenceEqual("RIFF"u8) || !s[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{path} is not a RIFF/WAVE file.");
        int channels = 1, rate = 16000, bits = 16, pos = 12;
        while (pos + 8 <= bytes.Length)
        {
            var id = s.Slice(pos, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(s[(pos + 4)..]);
            var body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                channels = BinaryPrimitives.ReadInt16LittleEndian(s[(body + 2)..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(s[(body + 4)..]);
                bits = BinaryPrimitives.ReadInt16LittleEndian(s[(body + 14)..]);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (bits != 16) throw new InvalidDataException($"{path}: only 16-bit PCM is supported, found {bits}-bit.");
                // Some writers (sox/espeak to a pipe) leave the size as 0 or 0xFFFFFFFF: take the rest of the file.
                var available = bytes.Length - body;
                var length = size <= 0 || size > available ? available : size;
                var frames = length / (2 * channels);
                var samples = new float[frames];
                for (var i = 0; i < frames; i++)
                {
                    float sum = 0;
                    for (var c = 0; c < channels; c++)
                        sum += BinaryPrimitives.ReadInt16LittleEndian(s[(body + (i * channels + c) * 2)..]) / 32768f;
                    samples[i] = sum / channels;
                }
                return (samples, rate);
            }
            pos = body + size + (size & 1);
        }
        throw new InvalidDataException($"{path} has no data chunk.");
    }
}
