namespace MtlBatch.Core;

public enum DevicePreference { Auto, Cpu, Cuda }

public enum ChannelMode { Mix, Split }

/// <summary>How one recording is analysed. Bound from configuration section <c>Analysis</c> or CLI flags.</summary>
public sealed class AnalysisOptions
{
    public const string SectionName = "Analysis";

    /// <summary>Path to the ONNX model; default is the bundled models/mtl-small.onnx.</summary>
    public string? ModelPath { get; set; }
    public DevicePreference Device { get; set; } = DevicePreference.Auto;
    public int MinSpeakers { get; set; } = 1;
    public int MaxSpeakers { get; set; } = 6;
    public ChannelMode Channels { get; set; } = ChannelMode.Mix;
    /// <summary>Length of one inference chunk in seconds.</summary>
    public double ChunkSeconds { get; set; } = 30;
    /// <summary>Overlap between consecutive chunks in seconds (context on each side of the kept centre).</summary>
    public double ChunkOverlapSeconds { get; set; } = 2;
    /// <summary>
    /// Chunks per ONNX Runtime call; 0 chooses by device: 1 on CPU (measured: batching gains no speed there and costs
    /// memory, docs/inference.md), 4 on CUDA.
    /// </summary>
    public int BatchSize { get; set; }
    /// <summary>
    /// CTC beam width; 1 means greedy decoding. 16: with the lexicon and word LM, beam 16 beat 8 on the development sets
    /// (WER 60.7 % against 65.3 % at the same weights; docs/inference.md) and still decodes at ~650x realtime.
    /// </summary>
    public int BeamWidth { get; set; } = 16;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime decide.</summary>
    public int IntraOpThreads { get; set; }

    public void Validate()
    {
        if (MinSpeakers < 1) throw new ArgumentOutOfRangeException(nameof(MinSpeakers), MinSpeakers, "must be >= 1");
        if (MaxSpeakers < MinSpeakers) throw new ArgumentOutOfRangeException(nameof(MaxSpeakers), MaxSpeakers, "must be >= MinSpeakers");
        if (ChunkSeconds < 4) throw new ArgumentOutOfRangeException(nameof(ChunkSeconds), ChunkSeconds, "must be >= 4");
        if (ChunkOverlapSeconds < 0 || ChunkOverlapSeconds * 2 >= ChunkSeconds)
            throw new ArgumentOutOfRangeException(nameof(ChunkOverlapSeconds), ChunkOverlapSeconds, "must be >= 0 and less than half a chunk");
        if (BatchSize < 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be >= 0 (0 = by device)");
        if (BeamWidth < 1) throw new ArgumentOutOfRangeException(nameof(BeamWidth), BeamWidth, "must be >= 1");
    }
}

/// <summary>Limits enforced before expensive work. Bound from configuration section <c>Limits</c>.</summary>
public sealed class InputLimits
{
    public const string SectionName = "Limits";
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    public double MaxDurationSeconds { get; set; } = 24 * 3600;
    public int MaxArchiveEntries { get; set; } = 20_000;
    public long MaxArchiveExpandedBytes { get; set; } = 20L * 1024 * 1024 * 1024;
    /// <summary>Largest tolerated expansion ratio of one archive entry (zip-bomb guard).</summary>
    public double MaxCompressionRatio { get; set; } = 200;
    public int MaxNameLength { get; set; } = 1024;
}
