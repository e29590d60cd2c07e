namespace MtlBatch.Evaluation;

/// <summary>A labelled time interval (speaker or emotion) in seconds.</summary>
public sealed record LabeledSpan(string Label, double Start, double End);

/// <param name="OverlapFloor">
/// Share of the scored reference speech that is a second (third, ...) speaker talking at the same time: the DER that a
/// system labelling one speaker per instant cannot go below (even with perfect voice activity and clustering, it misses
/// every speaker beyond the first). Our diarizer is such a system, so DER minus this floor is what clustering and voice
/// activity can still win.
/// </param>
public sealed record DerBreakdown(double Der, double Missed, double FalseAlarm, double Confusion, double ScoredSeconds, double OverlapFloor = 0);

/// <summary>
/// Diarization error rate as in NIST md-eval: (missed + false alarm + speaker confusion) / scored reference speech,
/// with a no-score collar around every reference boundary and overlapping speech scored. Computed on a 10 ms grid
/// with the optimal one-to-one speaker mapping (exhaustive for up to 8 speakers, greedy beyond).
/// </summary>
public static class DiarizationErrorRate
{
    private const double Step = 0.01;

    public static DerBreakdown Compute(IReadOnlyList<LabeledSpan> reference, IReadOnlyList<LabeledSpan> hypothesis, double collar = 0.25)
    {
        var end = Math.Max(reference.Select(r => r.End).DefaultIfEmpty(0).Max(), hypothesis.Select(h => h.End).DefaultIfEmpty(0).Max());
        var frames = (int)Math.Ceiling(end / Step) + 1;
        var refLabels = reference.Select(r => r.Label).Distinct().ToArray();
        var hypLabels = hypothesis.Select(h => h.Label).Distinct().ToArray();
        var refActive = Activity(reference, refLabels, frames);
        var hypActive = Activity(hypothesis, hypLabels, frames);
        var scored = new bool[frames];
        Array.Fill(scored, true);
        foreach (var r in reference)
            foreach (var t in new[] { r.Start, r.End })
                for (var f = Math.Max(0, (int)Math.Floor((t - collar) / Step)); f < Math.Min(frames, (int)Math.Ceiling((t + collar) / Step)); f++)
                    scored[f] = false;

        // Co-occurrence of reference and hypothesis speakers on scored frames, for the mapping.
        var overlap = new double[refLabels.Length, hypLabels.Length];
        for (var f = 0; f < frames; f++)
        {
            if (!scored[f]) continue;
            for (var i = 0; i < refLabels.Length; i++)
                if (refActive[i][f])
                    for (var j = 0; j < hypLabels.Length; j++)
                        if (hypActive[j][f]) overlap[i, j]++;
        }
        var mapping = BestMapping(overlap, refLabels.Length, hypLabels.Length);

        double missed = 0, falseAlarm = 0, confusion = 0, total = 0, overlapped = 0;
        for (var f = 0; f < frames; f++)
        {
            if (!scored[f]) continue;
            int nRef = 0, nHyp = 0, correct = 0;
            for (var i = 0; i < refLabels.Length; i++) if (refActive[i][f]) nRef++;
            for (var j = 0; j < hypLabels.Length; j++) if (hypActive[j][f]) nHyp++;
            for (var i = 0; i < refLabels.Length; i++)
                if (refActive[i][f] && mapping[i] >= 0 && hypActive[mapping[i]][f]) correct++;
            total += nRef;
            overlapped += Math.Max(0, nRef - 1);
            missed += Math.Max(0, nRef - nHyp);
            falseAlarm += Math.Max(0, nHyp - nRef);
            confusion += Math.Min(nRef, nHyp) - correct;
        }
        return total == 0
            ? new DerBreakdown(falseAlarm > 0 ? 1 : 0, 0, 0, 0, 0)
            : new DerBreakdown((missed + falseAlarm + confusion) / total, missed / total, falseAlarm / total, confusion / total, total * Step, overlapped / total);
    }

    private static bool[][] Activity(IReadOnlyList<LabeledSpan> spans, string[] labels, int frames)
    {
        var active = labels.Select(_ => new bool[frames]).ToArray();
        foreach (var s in spans)
        {
            var k = Array.IndexOf(labels, s.Label);
            for (var f = Math.Max(0, (int)Math.Round(s.Start / Step)); f < Math.Min(frames, (int)Math.Round(s.End / Step)); f++) active[k][f] = true;
        }
        return active;
    }

    /// <summary>Reference index -> hypothesis index (or -1), maximising total co-occurrence.</summary>
    private static int[] BestMapping(double[,] overlap, int nRef, int nHyp)
    {
        var best = Enumerable.Repeat(-1, nRef).ToArray();
        if (nRef == 0 || nHyp == 0) return best;
        if (nRef <= 8 && nHyp <= 8)
        {
            var bestScore = -1.0;
            var current = new int[nRef];
            var used = new bool[nHyp];
            void Search(int i, double score)
            {
                if (i == nRef)
                {
                    if (score > bestScore) { bestScore = score; Array.Copy(current, best, nRef); }
                    return;
                }
                current[i] = -1;
                Search(i + 1, score);
                for (var j = 0; j < nHyp; j++)
                {
                    if (used[j]) continue;
                    used[j] = true; current[i] = j;
                    Search(i + 1, score + overlap[i, j]);
                    used[j] = false;
                }
            }
            Search(0, 0);
            return best;
        }
        var pairs = from i in Enumerable.Range(0, nRef) from j in Enumerable.Range(0, nHyp) orderby overlap[i, j] descending select (i, j);
        var hypUsed = new bool[nHyp];
        foreach (var (i, j) in pairs)
            if (best[i] < 0 && !hypUsed[j] && overlap[i, j] > 0) { best[i] = j; hypUsed[j] = true; }
        return best;
    }
}
