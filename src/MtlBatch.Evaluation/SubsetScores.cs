namespace MtlBatch.Evaluation;

/// <summary>Everything the evaluator learned about one utterance; added to the totals and to each of its groups.</summary>
internal sealed record UtteranceOutcome
{
    public required string SpeakerKey { get; init; }
    public required double Seconds { get; init; }
    /// <summary>Wall time of the model's forward pass on this utterance.</summary>
    public required double ModelSeconds { get; init; }
    /// <summary>Normalised reference transcript; null when the utterance has none.</summary>
    public string? Reference { get; init; }
    public string? Hypothesis { get; init; }
    /// <summary>The hypothesis's words (normalised) with the decoder's confidences.</summary>
    public IReadOnlyList<(string Word, double Confidence)>? HypothesisWords { get; init; }
    public string? HypothesisWithoutLm { get; init; }
    public string? PeerHypothesis { get; init; }
    public double PeerSeconds { get; init; }
    public IReadOnlyList<string>? ReferencePhones { get; init; }
    public IReadOnlyList<string>? Phones { get; init; }
    public (string Reference, string Predicted)? Emotion { get; init; }
    public BinaryF1? Vad { get; init; }
    /// <summary>Unit-length utterance embedding; null without a speaker label or without speech.</summary>
    public float[]? Embedding { get; init; }
}

/// <summary>Accumulates the utterance metrics of one subset.</summary>
internal sealed class SubsetScores(IReadOnlyList<string> emotionLabels, string? peerName, bool withoutLm, int maxImpostorTrials)
{
    private readonly ErrorRate _cer = new(), _wer = new(), _cerNoLm = new(), _werNoLm = new(), _per = new(), _peerCer = new(), _peerWer = new();
    private readonly ConfusionMatrix _emotions = new(emotionLabels);
    private readonly BinaryF1 _vad = new();
    private readonly ConfidenceCalibration _calibration = new();
    private readonly List<(string Speaker, float[] Vector)> _embeddings = [];
    private int _utterances, _transcribed, _singleWord, _singleCorrect, _singleCorrectNoLm, _peerSingleCorrect, _phonemes, _vadUtterances;
    private double _seconds, _peerAudioSeconds, _peerSeconds;

    public void Add(UtteranceOutcome o)
    {
        _utterances++;
        _seconds += o.Seconds;
        if (o.Reference is { } reference)
        {
            _transcribed++;
            var single = ScoringText.WordCount(reference) == 1;
            if (single) _singleWord++;
            Score(_cer, _wer, reference, o.Hypothesis!, single, ref _singleCorrect);
            if (o.HypothesisWords is { } words) _calibration.Add(reference, words);
            if (o.HypothesisWithoutLm is { } noLm) Score(_cerNoLm, _werNoLm, reference, noLm, single, ref _singleCorrectNoLm);
            if (o.PeerHypothesis is { } peer)
            {
                Score(_peerCer, _peerWer, reference, peer, single, ref _peerSingleCorrect);
                _peerAudioSeconds += o.Seconds;
                _peerSeconds += o.PeerSeconds;
            }
        }
        if (o.ReferencePhones is not null && o.Phones is not null)
        {
            _phonemes++;
            _per.Add(o.ReferencePhones, o.Phones);
        }
        if (o.Emotion is { } e) _emotions.Add(e.Reference, e.Predicted);
        if (o.Vad is not null)
        {
            _vadUtterances++;
            _vad.Add(o.Vad);
        }
        if (o.Embedding is not null) _embeddings.Add((o.SpeakerKey, o.Embedding));
    }

    private static void Score(ErrorRate cer, ErrorRate wer, string reference, string hypothesis, bool single, ref int singleCorrect)
    {
        cer.AddChars(reference, hypothesis);
        wer.AddWords(reference, hypothesis);
        if (single && hypothesis == reference) singleCorrect++;
    }

    public UtteranceMetrics ToMetrics()
    {
        static double? Rate(ErrorRate r) => r.ReferenceLength == 0 ? null : r.Value;
        double? Fraction(int count, int of) => of == 0 ? null : count / (double)of;
        var trials = SpeakerTrials.Score(_embeddings, maxImpostorTrials);
        var emotionLabelled = _emotions.Total > 0;
        var lm = withoutLm && _transcribed > 0;
        var fit = _calibration.FitPlatt();
        return new UtteranceMetrics
        {
            Utterances = _utterances, UtteranceHours = _seconds / 3600,
            TranscribedUtterances = _transcribed, Cer = Rate(_cer), Wer = Rate(_wer),
            CerWithoutLm = lm ? Rate(_cerNoLm) : null, WerWithoutLm = lm ? Rate(_werNoLm) : null,
            SingleWordUtterances = _singleWord, WordAccuracy = Fraction(_singleCorrect, _singleWord),
            WordAccuracyWithoutLm = lm ? Fraction(_singleCorrectNoLm, _singleWord) : null,
            PhonemeUtterances = _phonemes, Per = Rate(_per),
            SpeakerUtterances = _embeddings.Count, Speakers = _embeddings.Select(x => x.Speaker).Distinct().Count(),
            GenuineTrials = trials.Genuine, ImpostorTrials = trials.Impostor, SpeakerEer = trials.Eer,
            EmotionUtterances = (int)_emotions.Total,
            EmotionAccuracy = emotionLabelled ? _emotions.Accuracy : null,
            EmotionMacroF1 = emotionLabelled ? _emotions.MacroF1 : null,
            EmotionF1 = emotionLabelled ? emotionLabels.ToDictionary(l => l, _emotions.F1) : null,
            VadUtterances = _vadUtterances, VadF1 = _vadUtterances == 0 ? null : _vad.F1,
            ScoredWords = _calibration.Words, ConfidenceEce = _calibration.ExpectedCalibrationError,
            MeanConfidence = _calibration.MeanConfidence, WordPrecision = _calibration.Accuracy,
            ConfidenceFitSlope = fit?.Slope, ConfidenceFitIntercept = fit?.Intercept,
            Peer = peerName is null ? null : new PeerMetrics
            {
                Name = peerName, TranscribedUtterances = _transcribed, Cer = Rate(_peerCer), Wer = Rate(_peerWer),
                WordAccuracy = Fraction(_peerSingleCorrect, _singleWord),
                RealtimeFactor = _peerSeconds > 0 ? _peerAudioSeconds / _peerSeconds : null,
            },
        };
    }
}

/// <summary>Speaker verification trials over utterance embeddings: every same-speaker pair, and impostor pairs (all, or an even sample when too many).</summary>
internal static class SpeakerTrials
{
    public static (long Genuine, long Impostor, double? Eer) Score(IReadOnlyList<(string Speaker, float[] Vector)> embeddings, int maxImpostorTrials)
    {
        var genuine = new List<double>();
        var impostor = new List<double>();
        long impostorPairs = 0;
        for (var i = 0; i < embeddings.Count; i++)
            for (var j = i + 1; j < embeddings.Count; j++)
                if (embeddings[i].Speaker == embeddings[j].Speaker) genuine.Add(Dot(embeddings[i].Vector, embeddings[j].Vector));
                else impostorPairs++;
        // Keep every k-th impostor pair (deterministic) so that a union of large sets stays within memory.
        var stride = Math.Max(1, (long)Math.Ceiling(impostorPairs / (double)Math.Max(1, maxImpostorTrials)));
        long k = 0;
        for (var i = 0; i < embeddings.Count; i++)
            for (var j = i + 1; j < embeddings.Count; j++)
                if (embeddings[i].Speaker != embeddings[j].Speaker && k++ % stride == 0) impostor.Add(Dot(embeddings[i].Vector, embeddings[j].Vector));
        var eer = genuine.Count > 0 && impostor.Count > 0 ? EqualErrorRate.Compute(genuine, impostor) : (double?)null;
        return (genuine.Count, impostor.Count, eer);
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
