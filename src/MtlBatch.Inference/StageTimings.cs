using System.Diagnostics;

namespace MtlBatch.Inference;

/// <summary>Wall time spent per stage of one analysis, for benchmarks. Thread-safe.</summary>
public sealed class StageTimings
{
    private long _decodeTicks, _modelTicks, _ctcTicks, _postTicks, _writeTicks;

    /// <summary>Time spent waiting for decoded samples (ffmpeg), as seen by the analyzer.</summary>
    public TimeSpan Decode => TimeSpan.FromTicks(Interlocked.Read(ref _decodeTicks));
    /// <summary>ONNX Runtime time (overlaps with decoding: the model runs while the next batch is read).</summary>
    public TimeSpan Model => TimeSpan.FromTicks(Interlocked.Read(ref _modelTicks));
    /// <summary>Stitching, CTC beam search, alignment and phoneme decoding.</summary>
    public TimeSpan CtcDecoding => TimeSpan.FromTicks(Interlocked.Read(ref _ctcTicks));
    /// <summary>Voice activity, diarization, emotion timeline and result assembly.</summary>
    public TimeSpan PostProcessing => TimeSpan.FromTicks(Interlocked.Read(ref _postTicks));
    /// <summary>Writing the result files.</summary>
    public TimeSpan Writing => TimeSpan.FromTicks(Interlocked.Read(ref _writeTicks));

    public void AddDecode(TimeSpan t) => Interlocked.Add(ref _decodeTicks, t.Ticks);
    public void AddModel(TimeSpan t) => Interlocked.Add(ref _modelTicks, t.Ticks);
    public void AddCtc(TimeSpan t) => Interlocked.Add(ref _ctcTicks, t.Ticks);
    public void AddPost(TimeSpan t) => Interlocked.Add(ref _postTicks, t.Ticks);
    public void AddWriting(TimeSpan t) => Interlocked.Add(ref _writeTicks, t.Ticks);

    internal static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);
}
