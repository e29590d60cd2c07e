namespace MtlBatch.Audio;

/// <summary>Sample encodings <see cref="WavWriter"/> writes.</summary>
public enum WavSampleFormat
{
    /// <summary>16-bit signed PCM (the corpus format; half the size of float).</summary>
    Pcm16,
    /// <summary>32-bit IEEE float (lossless for decoded intermediates).</summary>
    Float32,
}

/// <summary>The header facts of a WAV file.</summary>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="Channels">Interleaved channels per frame.</param>
/// <param name="BitsPerSample">8, 16, 24 or 32.</param>
/// <param name="IsFloat">True for IEEE float samples.</param>
/// <param name="DataOffset">Byte offset of the first sample.</param>
/// <param name="FrameCount">Frames in the data chunk.</param>
public sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, bool IsFloat, long DataOffset, long FrameCount)
{
    public int BytesPerFrame => Channels * (BitsPerSample / 8);
    public double DurationSeconds => (double)FrameCount / SampleRate;
}

/// <summary>A whole WAV file in memory: interleaved samples in [-1, 1] (mono files: one sample per frame).</summary>
public sealed record WavAudio(float[] Samples, int SampleRate, int Channels)
{
    public double DurationSeconds => (double)Samples.Length / Channels / SampleRate;
}
