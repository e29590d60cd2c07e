using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace MtlBatch.Inference.Benchmarks;

/// <summary>
/// Serves the network outputs recorded from another model, so that a benchmark can time the stages after the network
/// (stitching, CTC decoding, post-processing) on their own, without the network competing for the same cores.
/// <see cref="Record"/> wraps a real model and keeps each chunk's outputs keyed by the chunk's samples; <see cref="Run"/>
/// then answers the same chunks from that store. Batches may run concurrently (the analyzer overlaps them), so chunks
/// are looked up by content rather than by call order. Memory grows with the recording: meant for benchmark inputs.
/// </summary>
internal sealed class ReplayChunkModel : IChunkModel
{
    private readonly IChunkModel _inner;
    private readonly ConcurrentDictionary<(int Length, int Hash), ChunkFrames> _outputs = new();
    private bool _replaying;

    private ReplayChunkModel(IChunkModel inner) => _inner = inner;

    /// <summary>A model that runs <paramref name="inner"/> and records its outputs until <see cref="StartReplay"/>.</summary>
    public static ReplayChunkModel Record(IChunkModel inner) => new(inner);

    public ModelDescription Description => _inner.Description;
    public string Device => _inner.Device;

    /// <summary>Chunks recorded so far.</summary>
    public int RecordedChunks => _outputs.Count;

    /// <summary>From now on <see cref="Run"/> only answers from the recording (and fails for a chunk it has not seen).</summary>
    public void StartReplay() => _replaying = true;

    public IReadOnlyList<ChunkFrames> Run(ReadOnlyMemory<float> audio, int batchSize, int samplesPerChunk, CancellationToken cancellationToken)
    {
        var keys = new (int, int)[batchSize];
        for (var i = 0; i < batchSize; i++) keys[i] = KeyOf(audio.Span.Slice(i * samplesPerChunk, samplesPerChunk));
        if (_replaying)
        {
            var replayed = new ChunkFrames[batchSize];
            for (var i = 0; i < batchSize; i++)
                replayed[i] = _outputs.TryGetValue(keys[i], out var frames) ? frames
                    : throw new InvalidOperationException("ReplayChunkModel: a chunk that was not recorded was asked for.");
            return replayed;
        }
        var outputs = _inner.Run(audio, batchSize, samplesPerChunk, cancellationToken);
        for (var i = 0; i < batchSize; i++) _outputs[keys[i]] = outputs[i];
        return outputs;
    }

    // Identical chunks (a looped benchmark input) have identical outputs, so sharing an entry is harmless.
    private static (int, int) KeyOf(ReadOnlySpan<float> samples)
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(samples));
        return (samples.Length, hash.ToHashCode());
    }
}
