using MtlBatch.Core;

namespace MtlBatch.Inference.Streaming;

/// <summary>
/// Where chunks start and how much of each is kept. Chunk k covers samples [k*Hop, k*Hop + Chunk); consecutive chunks
/// share 2*Context samples, and each nominally keeps its centre [Context, Chunk - Context) — the actual cut between two
/// chunks is moved by up to Context/2 to a frame between words (<see cref="ChunkStitcher"/>). All lengths are whole
/// multiples of the model frame so chunk frames line up with recording frames.
/// </summary>
internal sealed record ChunkGeometry(int SampleRate, int FrameSamples, int CtcFramesPerFrame, int ChunkSamples, int ContextSamples)
{
    public int HopSamples => ChunkSamples - 2 * ContextSamples;
    public int CtcFrameSamples => FrameSamples / CtcFramesPerFrame;
    public int ContextFrames => ContextSamples / FrameSamples;

    public static ChunkGeometry Create(AnalysisOptions options, ModelDescription model)
    {
        options.Validate();
        var frame = model.FrameSamples;
        var chunkFrames = (int)Math.Round(options.ChunkSeconds * model.SampleRate / frame);
        var contextFrames = (int)Math.Round(options.ChunkOverlapSeconds * model.SampleRate / frame);
        if (chunkFrames - 2 * contextFrames < 1) throw new ArgumentException("Chunk overlap leaves no kept centre.", nameof(options));
        return new ChunkGeometry(model.SampleRate, frame, model.CtcFramesPerFrame, chunkFrames * frame, contextFrames * frame);
    }

    public long ChunkStart(long index) => index * HopSamples;

    /// <summary>Number of 40 ms frames that describe <paramref name="totalSamples"/> samples (frame j is centred at j*shift).</summary>
    public long FrameCount(long totalSamples) => (totalSamples + FrameSamples - 1) / FrameSamples;
}
