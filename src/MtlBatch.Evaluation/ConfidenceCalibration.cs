namespace MtlBatch.Evaluation;

/// <summary>
/// How well word confidences predict correctness: each hypothesis word is correct when the minimum-edit alignment to the
/// reference (the one WER counts) pairs it with the same word. Expected calibration error over 10 equal-width bins
/// (Guo et al. 2017): sum over bins of |share correct - mean confidence| weighted by the bin's share of words.
/// </summary>
public sealed class ConfidenceCalibration
{
    private const int Bins = 10;
    private readonly long[] _count = new long[Bins];
    private readonly long[] _correct = new long[Bins];
    private readonly double[] _confidence = new double[Bins];
    private readonly List<(double Confidence, bool Correct)> _words = [];

    public long Words { get; private set; }
    public double? MeanConfidence => Words == 0 ? null : _confidence.Sum() / Words;
    public double? Accuracy => Words == 0 ? null : _correct.Sum() / (double)Words;

    public double? ExpectedCalibrationError
    {
        get
        {
            if (Words == 0) return null;
            double ece = 0;
            for (var b = 0; b < Bins; b++)
                if (_count[b] > 0) ece += Math.Abs(_correct[b] - _confidence[b]) / Words; // = n_b/N * |acc_b - conf_b|
            return ece;
        }
    }

    public void Add(double confidence, bool correct)
    {
        var c = Math.Clamp(confidence, 0, 1);
        var b = Math.Min(Bins - 1, (int)(c * Bins));
        _count[b]++;
        _confidence[b] += c;
        if (correct) _correct[b]++;
        Words++;
        _words.Add((c, correct));
    }

    /// <summary>
    /// Platt scaling fitted to these words: (slope, intercept) of P(correct) = sigmoid(slope * logit(c) + intercept), by Newton's
    /// method on the log-likelihood. Fit it on raw confidences (slope 1, intercept 0) of a development set, never a test set.
    /// Null with fewer than 20 words or without both right and wrong words.
    /// </summary>
    public (double Slope, double Intercept)? FitPlatt()
    {
        if (_words.Count < 20 || _words.All(w => w.Correct) || !_words.Any(w => w.Correct)) return null;
        double a = 1, b = 0;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            foreach (var (c, correct) in _words)
            {
                var x = Logit(c);
                var p = 1 / (1 + Math.Exp(-(a * x + b)));
                var r = p - (correct ? 1 : 0);
                var w = Math.Max(p * (1 - p), 1e-9);
                ga += r * x; gb += r; haa += w * x * x; hab += w * x; hbb += w;
            }
            // A tiny ridge keeps the 2x2 system solvable when the words are (nearly) separable.
            haa += 1e-6; hbb += 1e-6;
            var det = haa * hbb - hab * hab;
            var da = (hbb * ga - hab * gb) / det;
            var db = (haa * gb - hab * ga) / det;
            a -= da; b -= db;
            if (Math.Abs(da) + Math.Abs(db) < 1e-9) break;
        }
        return (a, b);
    }

    private static double Logit(double c)
    {
        var x = Math.Clamp(c, 1e-4, 1 - 1e-4);
        return Math.Log(x / (1 - x));
    }

    /// <summary>Scores one utterance: <paramref name="reference"/> normalised text, the hypothesis's normalised words with confidences.</summary>
    public void Add(string reference, IReadOnlyList<(string Word, double Confidence)> hypothesis)
    {
        var refWords = reference.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var hypWords = new List<(string Word, double Confidence)>();
        foreach (var (word, confidence) in hypothesis)
            foreach (var part in word.Split(' ', StringSplitOptions.RemoveEmptyEntries)) hypWords.Add((part, confidence));
        var matched = EditDistance.MatchedHypothesis(refWords, [.. hypWords.Select(w => w.Word)]);
        for (var j = 0; j < hypWords.Count; j++) Add(hypWords[j].Confidence, matched[j]);
    }
}
