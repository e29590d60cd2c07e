namespace MtlBatch.Inference.Streaming;

/// <summary>
/// A stretch of recording frames taken from one chunk's outputs. CTC rows [CtcStart, CtcEnd) and encoder rows
/// [FrameStart, FrameEnd) are local to <see cref="Source"/>; <see cref="GlobalFrameStart"/> places them in the recording.
/// </summary>
internal readonly record struct StitchedRegion(ChunkFrames Source, int FrameStart, int FrameEnd, long GlobalFrameStart, int CtcFramesPerFrame, bool IsLast)
{
    public int CtcStart => FrameStart * CtcFramesPerFrame;
    public int CtcEnd => FrameEnd * CtcFramesPerFrame;
    public int Frames => FrameEnd - FrameStart;
    public int CtcFrames => CtcEnd - CtcStart;
    public ReadOnlySpan<float> CharLogProbs => Source.CharLogProbs.AsSpan(CtcStart * Source.CharVocab, CtcFrames * Source.CharVocab);
    public ReadOnlySpan<float> PhoneLogProbs => Source.PhoneLogProbs.AsSpan(CtcStart * Source.PhoneVocab, CtcFrames * Source.PhoneVocab);
}

/// <summary>
/// Turns overlapping chunk outputs into one seamless frame stream. It holds only the previous chunk: when the next one
/// arrives it picks the cut between them inside their shared frames, at the frame farthest from any letter emission in
/// either chunk (the middle of the longest pause), within Context/2 of the nominal cut so both sides keep at least
/// Context/2 of acoustic context. The previous chunk's region up to the cut is emitted, the rest comes from the next chunk.
/// </summary>
internal sealed class ChunkStitcher(ChunkGeometry geometry, int blankIndex, int spaceIndex, Action<StitchedRegion> onRegion)
{
    private ChunkFrames? _pending;
    private long _pendingStartFrame;  // global frame of the pending chunk's row 0
    private long _regionStart;        // global frame where the pending chunk's region starts

    /// <summary>Adds the outputs of the next chunk, which starts at <paramref name="startSample"/> in the recording.</summary>
    public void Add(ChunkFrames chunk, long startSample)
    {
        var startFrame = startSample / geometry.FrameSamples;
        if (_pending is not null)
        {
            var cut = ChooseCut(_pending, _pendingStartFrame, chunk, startFrame);
            Emit(_pending, _pendingStartFrame, _regionStart, cut, isLast: false);
            _regionStart = cut;
        }
        _pending = chunk;
        _pendingStartFrame = startFrame;
    }

    /// <summary>Emits the last region, ending at the frame that covers the last sample.</summary>
    public void Complete(long totalSamples)
    {
        if (_pending is null) return;
        var end = geometry.FrameCount(totalSamples);
        Emit(_pending, _pendingStartFrame, _regionStart, end, isLast: true);
        _pending = null;
    }

    private void Emit(ChunkFrames chunk, long chunkStart, long from, long to, bool isLast)
    {
        var localFrom = (int)(from - chunkStart);
        var localTo = (int)Math.Min(to - chunkStart, Math.Min(chunk.Frames, chunk.CtcFrames / geometry.CtcFramesPerFrame));
        if (localTo < localFrom) localTo = localFrom;
        onRegion(new StitchedRegion(chunk, localFrom, localTo, from, geometry.CtcFramesPerFrame, isLast));
    }

    /// <summary>Global frame where <paramref name="next"/> takes over from <paramref name="previous"/>.</summary>
    internal long ChooseCut(ChunkFrames previous, long previousStart, ChunkFrames next, long nextStart)
    {
        var nominal = nextStart + geometry.ContextFrames;
        var reach = Math.Max(0, geometry.ContextFrames / 2);
        var lo = Math.Max(nextStart + 1, nominal - reach);
        var hi = Math.Min(previousStart + Math.Min(previous.Frames, previous.CtcFrames / geometry.CtcFramesPerFrame) - 1, nominal + reach);
        if (hi < lo) return Math.Clamp(nominal, nextStart, previousStart + previous.Frames);

        // Letter emissions (CTC rows where neither blank nor space dominates) in either chunk, over the search span
        // plus a margin so distances near its edges are measured, not assumed.
        var ratio = geometry.CtcFramesPerFrame;
        var margin = reach + 1;
        var spanStart = Math.Max(nextStart, lo - margin) * ratio;
        var spanEnd = Math.Min(previousStart + previous.Frames, hi + margin) * ratio; // exclusive, CTC frames
        var letter = new bool[Math.Max(0, spanEnd - spanStart)];
        for (var g = spanStart; g < spanEnd; g++)
            letter[g - spanStart] = IsLetter(previous, (int)(g - previousStart * ratio)) || IsLetter(next, (int)(g - nextStart * ratio));

        long best = nominal; var bestDistance = -1L;
        for (var f = lo; f <= hi; f++)
        {
            var c = f * ratio; // the cut lies between CTC frames c-1 and c
            var distance = Math.Min(DistanceLeft(letter, spanStart, c - 1), DistanceRight(letter, spanStart, c));
            if (distance > bestDistance || distance == bestDistance && Math.Abs(f - nominal) < Math.Abs(best - nominal))
            {
                best = f;
                bestDistance = distance;
            }
        }
        return best;
    }

    private bool IsLetter(ChunkFrames chunk, int ctcRow)
    {
        if (ctcRow < 0 || ctcRow >= chunk.CtcFrames) return false;
        var row = chunk.CharRow(ctcRow);
        var other = Math.Exp(row[blankIndex]) + (spaceIndex >= 0 ? Math.Exp(row[spaceIndex]) : 0);
        return other < 0.5;
    }

    private static long DistanceLeft(bool[] letter, long spanStart, long from)
    {
        for (var g = from; g >= spanStart; g--) if (letter[g - spanStart]) return from - g;
        return from - spanStart + 1 + letter.Length; // no letter in sight: as good as it gets
    }

    private static long DistanceRight(bool[] letter, long spanStart, long from)
    {
        var end = spanStart + letter.Length;
        for (var g = from; g < end; g++) if (letter[g - spanStart]) return g - from;
        return end - from + letter.Length;
    }
}
