namespace MtlBatch.Corpus.Import;

/// <summary>
/// Speech intervals of an imported real recording without a time-aligned annotation, from frame energy relative to
/// the recording's own noise floor (telephone lines and rooms are never silent, so the synthetic corpus's
/// peak-relative <see cref="MtlBatch.Corpus.EnergyVad"/> would call the whole line noise speech):
/// 20 ms frames, speech where the level is at least 12 dB over the clip's noise floor (10th percentile) and no
/// more than 45 dB under its peak; gaps under 0.3 s are bridged, bursts under 0.08 s dropped, 0.05 s padding.
/// A clip whose level never rises above its floor (silence, steady noise) has no speech.
/// </summary>
public static class RecordingVad
{
    private const int SampleRate = 16000;
    private const int Frame = 320;

    public static IReadOnlyList<double[]> Detect(ReadOnlySpan<float> samples)
    {
        var n = samples.Length / Frame;
        if (n == 0) return [];
        var db = new double[n];
        for (var i = 0; i < n; i++)
        {
            double sum = 0;
            foreach (var s in samples.Slice(i * Frame, Frame)) sum += s * s;
            db[i] = 10 * Math.Log10(sum / Frame + 1e-10);
        }
        var sorted = db.Order().ToArray();
        var floor = sorted[(int)(0.1 * (n - 1))];
        var peak = sorted[^1];
        if (peak - floor < 15) return [];
        var threshold = Math.Max(floor + 12, peak - 45);
        var intervals = new List<double[]>();
        int? start = null;
        for (var i = 0; i <= n; i++)
        {
            var speech = i < n && db[i] >= threshold;
            if (speech && start is null) start = i;
            else if (!speech && start is { } s)
            {
                intervals.Add([s * Frame / (double)SampleRate, i * Frame / (double)SampleRate]);
                start = null;
            }
        }
        var duration = samples.Length / (double)SampleRate;
        var merged = new List<double[]>();
        foreach (var iv in intervals)
        {
            if (merged.Count > 0 && iv[0] - merged[^1][1] < 0.3) merged[^1][1] = iv[1];
            else merged.Add(iv);
        }
        return merged.Where(iv => iv[1] - iv[0] >= 0.08)
            .Select(iv => new[] { Math.Round(Math.Max(0, iv[0] - 0.05), 3), Math.Round(Math.Min(duration, iv[1] + 0.05), 3) })
            .ToList();
    }
}
