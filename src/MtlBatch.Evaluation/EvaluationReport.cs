using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace MtlBatch.Evaluation;

/// <summary>
/// Utterance-level metrics of one subset (all utterances, or one group). A metric is null when no utterance of the
/// subset carries its label; the counts say how many items each metric was computed on.
/// </summary>
public record UtteranceMetrics
{
    public required int Utterances { get; init; }
    public required double UtteranceHours { get; init; }

    /// <summary>Utterances with a reference transcript (CER/WER/word accuracy).</summary>
    public required int TranscribedUtterances { get; init; }
    public required double? Cer { get; init; }
    public required double? Wer { get; init; }
    /// <summary>The same decode without the character LM (null when the run had no LM: then <see cref="Wer"/> is already without it).</summary>
    public required double? CerWithoutLm { get; init; }
    public required double? WerWithoutLm { get; init; }
    /// <summary>Utterances whose reference is a single word (keywords, commands).</summary>
    public required int SingleWordUtterances { get; init; }
    /// <summary>Over single-word references: the fraction whose normalised hypothesis is exactly the reference word.</summary>
    public required double? WordAccuracy { get; init; }
    public required double? WordAccuracyWithoutLm { get; init; }

    public required int PhonemeUtterances { get; init; }
    public required double? Per { get; init; }

    /// <summary>Utterances with a speaker label that contain speech (an empty <c>vad</c> list marks a clip without speech).</summary>
    public required int SpeakerUtterances { get; init; }
    /// <summary>Distinct speakers; speakers of different corpus folders are different people.</summary>
    public required int Speakers { get; init; }
    public required long GenuineTrials { get; init; }
    public required long ImpostorTrials { get; init; }
    public required double? SpeakerEer { get; init; }

    public required int EmotionUtterances { get; init; }
    public required double? EmotionAccuracy { get; init; }
    public required double? EmotionMacroF1 { get; init; }
    public required IReadOnlyDictionary<string, double>? EmotionF1 { get; init; }

    public required int VadUtterances { get; init; }
    public required double? VadF1 { get; init; }

    /// <summary>Hypothesis words scored for confidence calibration (each marked correct when the WER alignment matches it to the same reference word).</summary>
    public long ScoredWords { get; init; }
    /// <summary>Expected calibration error of the word confidences (10 equal-width bins; 0 = confidence equals the share correct).</summary>
    public double? ConfidenceEce { get; init; }
    public double? MeanConfidence { get; init; }
    /// <summary>Share of hypothesis words that are correct (what a calibrated mean confidence would equal).</summary>
    public double? WordPrecision { get; init; }
    /// <summary>Platt scaling fitted to these confidences (meaningful on raw ones: <c>--confidence-slope 1 --confidence-intercept 0</c>).</summary>
    public double? ConfidenceFitSlope { get; init; }
    public double? ConfidenceFitIntercept { get; init; }

    /// <summary>The peer recogniser on exactly the transcribed utterances above (null without <c>--peer</c>).</summary>
    public required PeerMetrics? Peer { get; init; }
}

/// <summary>A peer recogniser scored with the same normalisation and the same scorer as the model.</summary>
public sealed record PeerMetrics
{
    public required string Name { get; init; }
    public required int TranscribedUtterances { get; init; }
    public required double? Cer { get; init; }
    public required double? Wer { get; init; }
    public required double? WordAccuracy { get; init; }
    /// <summary>Audio seconds per wall-clock second, process start and model load included (one process per file).</summary>
    public required double? RealtimeFactor { get; init; }
}

/// <summary>The metrics of the utterances that share one value of a manifest field (e.g. <c>utterance</c> = "006").</summary>
public sealed record GroupMetrics : UtteranceMetrics
{
    [SetsRequiredMembers]
    public GroupMetrics(string field, string value, UtteranceMetrics metrics) : base(metrics)
    {
        Field = field;
        Value = value;
    }

    [JsonPropertyOrder(-2)] public string Field { get; init; }
    [JsonPropertyOrder(-1)] public string Value { get; init; }
}

/// <summary>
/// The evaluation table (written as JSON by <c>mtlbatch eval</c>): the totals over every set (flat, the model card's keys),
/// the conversations, then the groups (JSON in that order). Built from the totals by <see cref="ModelEvaluator"/>.
/// </summary>
public sealed record EvaluationReport : UtteranceMetrics
{
    [SetsRequiredMembers]
    public EvaluationReport(UtteranceMetrics totals) : base(totals) { }

    [JsonPropertyOrder(-5)] public string Model { get; init; } = "";
    [JsonPropertyOrder(-4)] public string ModelVersion { get; init; } = "";
    /// <summary>The corpus folders, comma separated.</summary>
    [JsonPropertyOrder(-3)] public string Set { get; init; } = "";
    /// <summary>"on (weight A, bonus B)" or "off".</summary>
    [JsonPropertyOrder(-2)] public string LanguageModel { get; init; } = "off";

    [JsonPropertyOrder(2)] public IReadOnlyList<GroupMetrics> Groups { get; init; } = [];

    [JsonPropertyOrder(1)] public int Conversations { get; init; }
    /// <summary>Conversations whose reference segments carry text (the others are scored for DER only).</summary>
    [JsonPropertyOrder(1)] public int TranscribedConversations { get; init; }
    [JsonPropertyOrder(1)] public double? ConversationWer { get; init; }
    [JsonPropertyOrder(1)] public double? Der { get; init; }
    [JsonPropertyOrder(1)] public double? DerMissed { get; init; }
    [JsonPropertyOrder(1)] public double? DerFalseAlarm { get; init; }
    [JsonPropertyOrder(1)] public double? DerConfusion { get; init; }
    /// <summary>The DER no one-speaker-per-instant diarizer can beat on these references (overlapped speech beyond the first speaker; <see cref="DerBreakdown.OverlapFloor"/>).</summary>
    [JsonPropertyOrder(1)] public double? DerOverlapFloor { get; init; }
    [JsonPropertyOrder(1)] public double? SpeakerCountAccuracy { get; init; }
    /// <summary>Conversations whose reference segments carry emotion labels.</summary>
    [JsonPropertyOrder(1)] public int EmotionConversations { get; init; }
    [JsonPropertyOrder(1)] public double? EmotionTimelineAccuracy { get; init; }

    /// <summary>Audio seconds per second of the model's forward pass on the utterances (null without utterances).</summary>
    [JsonPropertyOrder(1)] public double? ModelRealtimeFactor { get; init; }
    [JsonPropertyOrder(1)] public string Device { get; init; } = "";
}
