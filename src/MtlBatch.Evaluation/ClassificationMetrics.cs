namespace MtlBatch.Evaluation;

/// <summary>Accuracy, per-class F1 and macro-F1 over labelled predictions.</summary>
public sealed class ConfusionMatrix(IReadOnlyList<string> labels)
{
    private readonly long[,] _counts = new long[labels.Count, labels.Count];
    public IReadOnlyList<string> Labels { get; } = labels;
    public long Total { get; private set; }

    public void Add(string reference, string predicted)
    {
        var r = IndexOf(reference);
        var p = IndexOf(predicted);
        _counts[r, p]++;
        Total++;
    }

    public long this[string reference, string predicted] => _counts[IndexOf(reference), IndexOf(predicted)];

    public double Accuracy => Total == 0 ? 0 : Enumerable.Range(0, Labels.Count).Sum(i => _counts[i, i]) / (double)Total;

    public double F1(string label)
    {
        var k = IndexOf(label);
        double tp = _counts[k, k], fp = 0, fn = 0;
        for (var i = 0; i < Labels.Count; i++)
        {
            if (i == k) continue;
            fp += _counts[i, k];
            fn += _counts[k, i];
        }
        return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    /// <summary>Mean F1 over the labels that occur in the reference.</summary>
    public double MacroF1
    {
        get
        {
            var present = Labels.Where((_, i) => Enumerable.Range(0, Labels.Count).Any(j => _counts[i, j] > 0)).ToArray();
            return present.Length == 0 ? 0 : present.Average(F1);
        }
    }

    private int IndexOf(string label)
    {
        for (var i = 0; i < Labels.Count; i++) if (Labels[i] == label) return i;
        throw new ArgumentOutOfRangeException(nameof(label), label, "not one of the labels");
    }
}

/// <summary>Binary detection F1 (voice activity), counted per frame.</summary>
public sealed class BinaryF1
{
    public long TruePositive { get; private set; }
    public long FalsePositive { get; private set; }
    public long FalseNegative { get; private set; }
    public long TrueNegative { get; private set; }

    public void Add(bool reference, bool predicted)
    {
        if (reference && predicted) TruePositive++;
        else if (predicted) FalsePositive++;
        else if (reference) FalseNegative++;
        else TrueNegative++;
    }

    /// <summary>Adds the counts of another (e.g. one utterance's frames).</summary>
    public void Add(BinaryF1 other)
    {
        TruePositive += other.TruePositive;
        FalsePositive += other.FalsePositive;
        FalseNegative += other.FalseNegative;
        TrueNegative += other.TrueNegative;
    }

    public double Precision => TruePositive + FalsePositive == 0 ? 0 : TruePositive / (double)(TruePositive + FalsePositive);
    public double Recall => TruePositive + FalseNegative == 0 ? 0 : TruePositive / (double)(TruePositive + FalseNegative);
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>Equal error rate of a verification system from genuine (same speaker) and impostor trial scores.</summary>
public static class EqualErrorRate
{
    public static double Compute(IReadOnlyList<double> genuine, IReadOnlyList<double> impostor)
    {
        if (genuine.Count == 0 || impostor.Count == 0) throw new ArgumentException("EER needs genuine and impostor trials.");
        var trials = genuine.Select(s => (Score: s, Genuine: true)).Concat(impostor.Select(s => (Score: s, Genuine: false)))
            .OrderByDescending(t => t.Score).ToArray();
        // Sweep the threshold from high to low: false rejections fall, false acceptances rise; EER where they cross.
        double falseAccept = 0, falseReject = genuine.Count;
        var best = 1.0;
        var bestGap = double.MaxValue;
        var i = 0;
        while (i < trials.Length)
        {
            var score = trials[i].Score;
            for (; i < trials.Length && trials[i].Score == score; i++)
            {
                if (trials[i].Genuine) falseReject--; else falseAccept++;
            }
            var far = falseAccept / impostor.Count;
            var frr = falseReject / genuine.Count;
            var gap = Math.Abs(far - frr);
            if (gap < bestGap) { bestGap = gap; best = (far + frr) / 2; }
        }
        return best;
    }
}
