namespace MtlBatch.Inference;

/// <summary>Tuning of everything after the network. Bound from configuration section <c>Analysis:PostProcessing</c>.</summary>
public sealed class PostProcessingOptions
{
    public const string SectionName = "Analysis:PostProcessing";

    public VadOptions Vad { get; set; } = new();
    public DiarizationOptions Diarization { get; set; } = new();
    public EmotionOptions Emotion { get; set; } = new();
    public TranscriptionOptions Transcription { get; set; } = new();
}

/// <summary>Voice activity from the vad head: hysteresis on sigmoid(logit), then duration rules.</summary>
public sealed class VadOptions
{
    /// <summary>Speech starts when the probability rises to this value.</summary>
    public double Onset { get; set; } = 0.5;
    /// <summary>Speech ends when the probability falls below this value (lower than onset: no flicker).</summary>
    public double Offset { get; set; } = 0.35;
    /// <summary>Pauses shorter than this inside speech are bridged (a breath is not a turn change).</summary>
    public double MinSilenceSeconds { get; set; } = 0.3;
    /// <summary>Speech shorter than this (after bridging) is dropped as a click or noise burst.</summary>
    public double MinSpeechSeconds { get; set; } = 0.2;
}

/// <summary>Speaker clustering over pooled window embeddings.</summary>
public sealed class DiarizationOptions
{
    /// <summary>Window of speaker frames pooled into one embedding (1.5 s: enough speech for a stable voice print, short enough for quick turns).</summary>
    public double WindowSeconds { get; set; } = 1.5;
    /// <summary>Hop between windows (half a window: every frame is covered by two windows).</summary>
    public double HopSeconds { get; set; } = 0.75;
    /// <summary>A window counts as speech (and joins clustering) when at least this fraction of its frames is voiced.</summary>
    public double MinSpeechFraction { get; set; } = 0.5;
    /// <summary>
    /// Average-linkage cosine distance below which clusters are the same speaker (used to decide between 1 and more
    /// speakers, and as the stopping rule). 0.2 was chosen for mtl-small 1.0.0: on the corpus/v1 conversations DER is
    /// 56.8 % at 0.5 and ~41 % at 0.15-0.25 (39.6 % at 0.1), and at 0.2 eight single-speaker monologues of held-out
    /// voices all stay one speaker (at 0.1 one of them splits into three). See models/mtl-small.md; retune for another model.
    /// </summary>
    public double DistanceThreshold { get; set; } = 0.2;
    /// <summary>At most this many windows go into the O(n^2) clustering; longer recordings are sampled (one random window per equal stretch) and every window is then assigned to the nearest centroid.</summary>
    public int MaxClusteringWindows { get; set; } = 600;
    /// <summary>Silence between two runs of the same speaker shorter than this stays inside one turn.</summary>
    public double MaxTurnGapSeconds { get; set; } = 1.0;
    /// <summary>
    /// Overlapped speech (models with the overlap output): a voiced frame whose overlap probability reaches this value is
    /// also given to a second speaker, the nearest other speaker in time (people talk over the one before or after them).
    /// Above 1 switches it off. 0.6: the best of 0.2-0.8 on the AMI development meetings with the overlap-v2 head
    /// (DER 50.5 % off, 49.8 % at 0.6; models/mtl-small.md, "Overlapped speech").
    /// </summary>
    public double OverlapThreshold { get; set; } = 0.6;
    /// <summary>Runs of overlap frames shorter than this are ignored (a single frame over the threshold is noise).</summary>
    public double MinOverlapSeconds { get; set; } = 0.2;
    /// <summary>The second speaker of an overlap is looked for at most this far before and after it.</summary>
    public double OverlapSearchSeconds { get; set; } = 5.0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"Analysis:PostProcessing:Diarization:{name} {rule}.");
        }
        Check(WindowSeconds > 0 && double.IsFinite(WindowSeconds), nameof(WindowSeconds), WindowSeconds, "must be a positive number of seconds");
        Check(HopSeconds > 0 && double.IsFinite(HopSeconds), nameof(HopSeconds), HopSeconds, "must be a positive number of seconds");
        Check(MinSpeechFraction is >= 0 and <= 1, nameof(MinSpeechFraction), MinSpeechFraction, "must be between 0 and 1");
        Check(DistanceThreshold is >= 0 and <= 2, nameof(DistanceThreshold), DistanceThreshold, "must be a cosine distance between 0 and 2");
        Check(MaxClusteringWindows >= 2, nameof(MaxClusteringWindows), MaxClusteringWindows, "must be at least 2");
        Check(MaxTurnGapSeconds >= 0 && double.IsFinite(MaxTurnGapSeconds), nameof(MaxTurnGapSeconds), MaxTurnGapSeconds, "must be >= 0 seconds");
        Check(OverlapThreshold >= 0 && double.IsFinite(OverlapThreshold), nameof(OverlapThreshold), OverlapThreshold, "must be a probability (above 1: off)");
        Check(MinOverlapSeconds >= 0 && double.IsFinite(MinOverlapSeconds), nameof(MinOverlapSeconds), MinOverlapSeconds, "must be >= 0 seconds");
        Check(OverlapSearchSeconds > 0 && double.IsFinite(OverlapSearchSeconds), nameof(OverlapSearchSeconds), OverlapSearchSeconds, "must be a positive number of seconds");
    }
}

/// <summary>Emotion timeline from the emotion head.</summary>
public sealed class EmotionOptions
{
    /// <summary>Moving-average window over per-frame probabilities (about a second: emotions do not flip every 40 ms).</summary>
    public double SmoothingSeconds { get; set; } = 1.0;
    /// <summary>Segments shorter than this are merged into a neighbour.</summary>
    public double MinSegmentSeconds { get; set; } = 1.0;
}

/// <summary>Where a word's confidence comes from.</summary>
public enum WordConfidenceMethod
{
    /// <summary>Mean over the word's characters of each character's highest posterior on its frames.</summary>
    CharacterPeak,
    /// <summary>The word's share of the beam's probability against competing hypotheses (greedy decoding falls back to <see cref="CharacterPeak"/>).</summary>
    BeamPosterior,
}

/// <summary>Incremental CTC decoding across stitched regions.</summary>
public sealed class TranscriptionOptions
{
    /// <summary>
    /// A pause this long between letters ends a word even without a space label, and a word at the end of a region counts as
    /// finished when no letter follows it for this long (otherwise it is decoded again with the next region). 2 s, not the
    /// earlier 0.3 s: the beam search places word boundaries itself, and splitting its words at shorter pauses cost 2.3 points of
    /// WER on the WUW valid split (mtl-small 2.1.0, default decoder: 0.3 s 76.5 %, 0.6 s 75.7 %, 2 s 74.3 %, never 74.2 %) and 2.7
    /// on corpus/v1 valid conversations (67.4 % vs 64.7 %).
    /// </summary>
    public double WordGapSeconds { get; set; } = 2.0;
    /// <summary>Upper bound of audio carried into the next region (guards against a stream without word boundaries).</summary>
    public double MaxCarrySeconds { get; set; } = 20;
    /// <summary>Per frame, labels less likely than the best one by more than this (natural log) are never expanded by the beam search (9.2 = 1e-4).</summary>
    public double BeamPruneLogRatio { get; set; } = 9.2;
    /// <summary>
    /// Alpha: weight of the character LM's log-probability in the beam search (shallow fusion, see docs/inference.md,
    /// "Language model"). 0 switches the LM off. Used only when the model has a <c>.charlm</c> next to it and the beam is wider than 1.
    /// 0.7 since mtl-small 2.5.0 (tuned together with the word LM weights below; with the character LM alone 1.0 was best for 2.0.0).
    /// </summary>
    public double LmWeight { get; set; } = 0.7;
    /// <summary>Beta: bonus per character scored by the LM, which offsets the LM's per-character cost (otherwise the LM favours dropping characters).</summary>
    public double LmLengthBonus { get; set; } = 2.0;

    /// <summary>
    /// Weight of the word LM (<c>&lt;model&gt;.wordlm</c>) in the lexicon-constrained beam search: added times ln P(word | previous
    /// words) at each word end (docs/inference.md, "Words: lexicon and word LM"). 0 switches word decoding off (unless a custom
    /// vocabulary is given); then the character LM alone is fused as before. Defaults (0.3, bonus 0, OOV penalty -5, character LM
    /// 0.7 / 2, both LMs) were tuned with mtl-small 2.5.0 on the WUW and Speech Commands valid splits (`mtlbatch lm tune`, 234
    /// configurations: dev WER 56.1 % with 2.0.0's 0.15 / 1 / -3 / 1.0, 54.0 % with these; docs/inference.md); re-tune after retraining.
    /// </summary>
    public double WordLmWeight { get; set; } = 0.3;
    /// <summary>Bonus per decoded word (offsets the word LM's per-word cost, which would otherwise favour dropping words).</summary>
    public double WordInsertionBonus { get; set; } = 0.0;
    /// <summary>Added once to a word that is not in the lexicon (spelled by the character LM instead): how reluctantly unknown words come out.</summary>
    public double OovPenalty { get; set; } = -5.0;
    /// <summary>
    /// With word decoding: also score the letters of vocabulary words with the character LM (both LMs), not only unknown
    /// words. On by default: on the development sets (docs/inference.md) the word LM alone with the character LM only for
    /// unknown words was far worse (WER 76-81 % against 60-61 %).
    /// </summary>
    public bool CharLmOnVocabularyWords { get; set; } = true;
    /// <summary>Custom vocabulary file (one word or phrase per line, optional boost after it): its words join the lexicon, a phrase earns its boost when decoded.</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>A copy (all settings are values), e.g. to give one upload prefix its own vocabulary.</summary>
    public TranscriptionOptions Copy() => (TranscriptionOptions)MemberwiseClone();
    /// <summary>Boost of a custom vocabulary line that gives none.</summary>
    public double VocabularyBoost { get; set; } = 6.0;

    /// <summary>
    /// Scale applied to the beam's log scores before a word's posterior is read from them (<see cref="WordConfidenceMethod.BeamPosterior"/>;
    /// like a lattice's acoustic scale: below 1 flattens over-confident posteriors).
    /// </summary>
    public double ConfidenceScale { get; set; } = 1.0;
    /// <summary>
    /// How word confidences are computed. <see cref="WordConfidenceMethod.CharacterPeak"/> by default: on the real development
    /// sets it separates right from wrong words far better than the beam posterior (AUC 0.86 against 0.64, docs/inference.md,
    /// "Word confidence: calibration").
    /// </summary>
    public WordConfidenceMethod ConfidenceMethod { get; set; } = WordConfidenceMethod.CharacterPeak;
    /// <summary>
    /// Calibration (Platt scaling) of the raw confidence c: sigmoid(slope * logit(c) + intercept). Fitted on the WUW and Speech
    /// Commands valid splits with <c>mtlbatch eval --confidence-slope 1 --confidence-intercept 0</c>, which prints the fit; 1 and 0
    /// leave confidences raw (mtl-small 2.5.0 with the decoder defaults above, fitted on 989 dev words: dev raw ECE 9.5 %; 2.1.0's
    /// fit was 1.299 / -0.208). Re-fit after retraining.
    /// </summary>
    public double ConfidenceSlope { get; set; } = 1.307;
    public double ConfidenceIntercept { get; set; } = -0.340;
    /// <summary>How long after a word's last character the beam is read for its confidence.</summary>
    public double ConfidenceDelaySeconds { get; set; } = 0.2;

    /// <summary>The calibrated confidence of a raw one (0..1).</summary>
    public double Calibrate(double raw)
    {
        var c = Math.Clamp(raw, 1e-4, 1 - 1e-4);
        return 1 / (1 + Math.Exp(-(ConfidenceSlope * Math.Log(c / (1 - c)) + ConfidenceIntercept)));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"Analysis:PostProcessing:Transcription:{name} {rule}.");
        }
        Check(ConfidenceScale > 0 && double.IsFinite(ConfidenceScale), nameof(ConfidenceScale), ConfidenceScale, "must be positive");
        Check(ConfidenceSlope > 0 && double.IsFinite(ConfidenceSlope), nameof(ConfidenceSlope), ConfidenceSlope, "must be positive (confidence must rise with the raw score)");
        Check(double.IsFinite(ConfidenceIntercept), nameof(ConfidenceIntercept), ConfidenceIntercept, "must be a finite number");
        Check(Enum.IsDefined(ConfidenceMethod), nameof(ConfidenceMethod), ConfidenceMethod, "must be CharacterPeak or BeamPosterior");
        Check(ConfidenceDelaySeconds >= 0 && double.IsFinite(ConfidenceDelaySeconds), nameof(ConfidenceDelaySeconds), ConfidenceDelaySeconds, "must be >= 0 seconds");
        Check(WordGapSeconds > 0 && double.IsFinite(WordGapSeconds), nameof(WordGapSeconds), WordGapSeconds, "must be a positive number of seconds");
        Check(MaxCarrySeconds > 0 && double.IsFinite(MaxCarrySeconds), nameof(MaxCarrySeconds), MaxCarrySeconds, "must be a positive number of seconds");
        Check(BeamPruneLogRatio > 0 && double.IsFinite(BeamPruneLogRatio), nameof(BeamPruneLogRatio), BeamPruneLogRatio, "must be positive");
        Check(LmWeight >= 0 && double.IsFinite(LmWeight), nameof(LmWeight), LmWeight, "must be >= 0");
        Check(double.IsFinite(LmLengthBonus), nameof(LmLengthBonus), LmLengthBonus, "must be a finite number");
        Check(WordLmWeight >= 0 && double.IsFinite(WordLmWeight), nameof(WordLmWeight), WordLmWeight, "must be >= 0");
        Check(double.IsFinite(WordInsertionBonus), nameof(WordInsertionBonus), WordInsertionBonus, "must be a finite number");
        Check(OovPenalty <= 0 && double.IsFinite(OovPenalty), nameof(OovPenalty), OovPenalty, "must be <= 0 (a penalty)");
        Check(double.IsFinite(VocabularyBoost), nameof(VocabularyBoost), VocabularyBoost, "must be a finite number");
        Check(VocabularyPath is null || File.Exists(VocabularyPath), nameof(VocabularyPath), VocabularyPath ?? "", "must name an existing file");
    }
}
