namespace MtlBatch.Inference;

/// <summary>
/// Runs the multi-task network over a batch of equal-length audio chunks. <see cref="MtlModel"/> is the ONNX
/// implementation; tests plug in synthetic models to exercise chunking, stitching and decoding without a network.
/// Implementations must be safe to call from several threads at once.
/// </summary>
internal interface IChunkModel
{
    ModelDescription Description { get; }

    /// <summary>Execution provider that runs the model: "cpu" or "cuda".</summary>
    string Device { get; }

    /// <param name="audio">Row-major [<paramref name="batchSize"/>, <paramref name="samplesPerChunk"/>] samples.</param>
    IReadOnlyList<ChunkFrames> Run(ReadOnlyMemory<float> audio, int batchSize, int samplesPerChunk, CancellationToken cancellationToken);
}

/// <summary>The five heads' outputs for one chunk, row-major per frame.</summary>
internal sealed class ChunkFrames
{
    /// <summary>CTC frames (20 ms) and vocabulary sizes.</summary>
    public required int CtcFrames { get; init; }
    public required int CharVocab { get; init; }
    public required int PhoneVocab { get; init; }
    /// <summary>Encoder frames (40 ms) and head widths.</summary>
    public required int Frames { get; init; }
    public required int SpeakerDim { get; init; }
    public required int EmotionCount { get; init; }

    /// <summary>[CtcFrames, CharVocab] log-probabilities.</summary>
    public required float[] CharLogProbs { get; init; }
    /// <summary>[CtcFrames, PhoneVocab] log-probabilities.</summary>
    public required float[] PhoneLogProbs { get; init; }
    /// <summary>[Frames, SpeakerDim].</summary>
    public required float[] SpeakerFrames { get; init; }
    /// <summary>[Frames, EmotionCount] logits.</summary>
    public required float[] EmotionLogits { get; init; }
    /// <summary>[Frames] logits.</summary>
    public required float[] VadLogits { get; init; }
    /// <summary>[Frames] overlapped-speech logits, or null when the model has no such output.</summary>
    public float[]? OverlapLogits { get; init; }

    public ReadOnlySpan<float> CharRow(int frame) => CharLogProbs.AsSpan(frame * CharVocab, CharVocab);
    public ReadOnlySpan<float> PhoneRow(int frame) => PhoneLogProbs.AsSpan(frame * PhoneVocab, PhoneVocab);
    public ReadOnlySpan<float> SpeakerRow(int frame) => SpeakerFrames.AsSpan(frame * SpeakerDim, SpeakerDim);
    public ReadOnlySpan<float> EmotionRow(int frame) => EmotionLogits.AsSpan(frame * EmotionCount, EmotionCount);
}
