namespace MtlBatch.Audio;

/// <summary>How <see cref="AudioDecoder"/> runs ffmpeg/ffprobe. Bound from configuration section <c>AudioDecoder</c>.</summary>
public sealed class AudioDecoderOptions
{
    public const string SectionName = "AudioDecoder";

    /// <summary>Folder holding the <c>ffmpeg</c> and <c>ffprobe</c> binaries; null or empty means "find them on PATH".</summary>
    public string? BinaryFolder { get; set; }

    /// <summary>Longest time one ffprobe call may take before it is killed (error code <c>timeout</c>).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest time ffmpeg may go without producing audio while the caller is waiting for the next block
    /// (error code <c>timeout</c>). An idle timeout rather than a wall-clock one: a 24-hour recording consumed
    /// by slow inference legitimately decodes for hours, but ffmpeg itself never stalls for a minute.
    /// </summary>
    public TimeSpan DecodeIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Samples per block yielded by <see cref="AudioDecoder.DecodeAsync(string, int?, CancellationToken)"/> (default 1 s at 16 kHz).</summary>
    public int BlockSamples { get; set; } = AudioDecoder.SampleRate;

    /// <summary>Folder for short-lived helper files (safe-name links); default is the system temp folder.</summary>
    public string? TempFolder { get; set; }

    public void Validate()
    {
        if (ProbeTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ProbeTimeout), ProbeTimeout, "must be positive");
        if (DecodeIdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DecodeIdleTimeout), DecodeIdleTimeout, "must be positive");
        if (BlockSamples < 160) throw new ArgumentOutOfRangeException(nameof(BlockSamples), BlockSamples, "must be >= 160 (10 ms)");
    }
}
