namespace MtlBatch.Inference.PostProcessing;

/// <summary>A pooled window of speaker frames [StartFrame, EndFrame); <see cref="Embedding"/> is null when no frame of it is voiced.</summary>
internal sealed record SpeakerWindow(int StartFrame, int EndFrame, float[]? Embedding, double SpeechFraction)
{
    public double CentreFrame => (StartFrame + EndFrame) / 2.0;
}

/// <summary>
/// Pools per-frame speaker projections into overlapping window embeddings as frames stream in (L2-normalised mean over
/// the window's voiced frames), so only one small vector per window is kept instead of every frame.
/// </summary>
internal sealed class SpeakerWindowPooler
{
    private readonly int _window, _hop, _dim;
    private readonly double _onset;
    private readonly float[] _ring;      // last _window frames, row per frame index % _window
    private readonly bool[] _voiced;
    private readonly List<SpeakerWindow> _windows = [];
    private int _frames;                 // frames seen
    private int _nextStart;              // start of the next window to emit

    public SpeakerWindowPooler(int dim, double frameShift, DiarizationOptions options, double speechOnset)
    {
        _dim = dim;
        _window = Math.Max(1, (int)Math.Round(options.WindowSeconds / frameShift));
        _hop = Math.Max(1, (int)Math.Round(options.HopSeconds / frameShift));
        _onset = speechOnset;
        _ring = new float[_window * dim];
        _voiced = new bool[_window];
    }

    public IReadOnlyList<SpeakerWindow> Windows => _windows;

    public void Add(ReadOnlySpan<float> speakerFrame, float speechProbability)
    {
        var slot = _frames % _window;
        speakerFrame[.._dim].CopyTo(_ring.AsSpan(slot * _dim, _dim));
        _voiced[slot] = speechProbability >= _onset;
        _frames++;
        if (_frames - _nextStart == _window)
        {
            Emit(_nextStart, _frames);
            _nextStart += _hop;
        }
    }

    /// <summary>Covers the tail: a last window ending at the last frame when frames after the last emitted window remain.</summary>
    public void Complete()
    {
        var lastEnd = _windows.Count > 0 ? _windows[^1].EndFrame : 0;
        if (_frames > lastEnd) Emit(Math.Max(0, _frames - _window), _frames);
    }

    private void Emit(int start, int end)
    {
        var sum = new double[_dim];
        var voiced = 0;
        for (var f = start; f < end; f++)
        {
            var slot = f % _window;
            if (!_voiced[slot]) continue;
            voiced++;
            var row = _ring.AsSpan(slot * _dim, _dim);
            for (var d = 0; d < _dim; d++) sum[d] += row[d];
        }
        var fraction = (double)voiced / (end - start);
        float[]? embedding = null;
        if (voiced > 0) embedding = Normalize(sum);
        _windows.Add(new SpeakerWindow(start, end, embedding, fraction));
    }

    internal static float[] Normalize(double[] v)
    {
        double norm = 0;
        foreach (var x in v) norm += x * x;
        norm = Math.Sqrt(norm);
        var result = new float[v.Length];
        if (norm <= 0) return result;
        for (var i = 0; i < v.Length; i++) result[i] = (float)(v[i] / norm);
        return result;
    }
}
