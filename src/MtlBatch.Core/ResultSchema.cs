using System.Text.Json.Serialization;

namespace MtlBatch.Core;

// The integration contract. Property names are serialized in camelCase and must not be renamed:
// downstream consumers (and docs/schema/*.schema.json) depend on them. Times are seconds as numbers.

/// <summary>Everything MtlBatch knows about one recording: written as <c>result.json</c>.</summary>
public sealed record AnalysisResult
{
    public string SchemaVersion { get; init; } = ResultSchema.Version;
    public required RecordingInfo Recording { get; init; }
    public required ModelInfo Model { get; init; }
    public required ProcessingInfo Processing { get; init; }
    public required Transcript Transcript { get; init; }
    public required IReadOnlyList<PhonemeSpan> Phonemes { get; init; }
    public required IReadOnlyList<SpeakerSummary> Speakers { get; init; }
    public required IReadOnlyList<Turn> Turns { get; init; }
    public required EmotionTrack Emotions { get; init; }
    /// <summary>Voice-activity segments (additive to the contract; the report draws gaps from it).</summary>
    public IReadOnlyList<TimeSpan2> VoiceActivity { get; init; } = [];
    /// <summary>What is doubtful about this result's input (e.g. <see cref="WarningCodes.InputTruncated"/>); omitted when none (additive).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResultWarning>? Warnings { get; init; }
    /// <summary>
    /// In memory only, never written: per speaker id, the unit-length mean speaker embedding of the speaker's voiced windows
    /// (what voiceprint identification compares with enrolled voices; docs/voiceprints.md). Null when the analyzer has none.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, float[]>? SpeakerEmbeddings { get; init; }
    /// <summary>Talk analytics of the conversation (schema 1.1; absent in results written before it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TalkAnalytics? Analytics { get; init; }
    /// <summary>What redaction removed (schema 1.1): present only when redaction was on. Holds categories, counts and times, never the removed text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RedactionSummary? Redaction { get; init; }
}

/// <summary>Something about a result that a consumer should know (the result is still complete for the audio it had).</summary>
public sealed record ResultWarning
{
    /// <summary>A stable code from <see cref="WarningCodes"/>.</summary>
    public required string Code { get; init; }
    public required string Message { get; init; }
    /// <summary>For <see cref="WarningCodes.InputTruncated"/>: the duration the container declares.</summary>
    public double? DeclaredDurationSeconds { get; init; }
    /// <summary>For <see cref="WarningCodes.InputTruncated"/>: the duration that could be decoded (what was analysed).</summary>
    public double? DecodedDurationSeconds { get; init; }
}

/// <summary>Stable codes of <see cref="ResultWarning"/>.</summary>
public static class WarningCodes
{
    /// <summary>The decoded audio is shorter than the container declares (a cut-off upload): only the readable part was analysed.</summary>
    public const string InputTruncated = "input-truncated";
}

public sealed record RecordingInfo
{
    public required string Name { get; init; }
    public required double DurationSeconds { get; init; }
    /// <summary>Sample rate of the source before decoding (the model always sees 16 kHz).</summary>
    public required int SampleRate { get; init; }
    public required int Channels { get; init; }
    public required string Sha256 { get; init; }
}

public sealed record ModelInfo
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Sha256 { get; init; }
}

public sealed record ProcessingInfo
{
    /// <summary>"cpu" or "cuda" — the execution provider that actually ran.</summary>
    public required string Device { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    /// <summary>Seconds of audio processed per second of wall time (higher is faster).</summary>
    public required double RealtimeFactor { get; init; }
}

public sealed record Transcript
{
    public required string Text { get; init; }
    public required IReadOnlyList<Word> Words { get; init; }
}

public sealed record Word
{
    public required string Text { get; init; }
    public required double Start { get; init; }
    public required double End { get; init; }
    public required double Confidence { get; init; }
    public string? Speaker { get; init; }
}

public sealed record PhonemeSpan
{
    public required string Symbol { get; init; }
    public required double Start { get; init; }
    public required double End { get; init; }
}

public sealed record SpeakerSummary
{
    public required string Id { get; init; }
    public required double TotalSeconds { get; init; }
    /// <summary>Name of the enrolled voice this speaker matched (voiceprints, docs/voiceprints.md); omitted when none (additive).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SpeakerName { get; init; }
    /// <summary>Cosine similarity of the speaker with <see cref="SpeakerName"/>'s voiceprint; omitted with the name (additive).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SpeakerScore { get; init; }
    /// <summary>The speaker's role (e.g. <c>agent</c>, <c>customer</c>) from <c>--channel-roles</c>; absent when none was given (schema 1.1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }
}

public sealed record Turn
{
    public required string Speaker { get; init; }
    public required double Start { get; init; }
    public required double End { get; init; }
    public required string Text { get; init; }
    public required string Emotion { get; init; }
    public required double EmotionConfidence { get; init; }
    /// <summary>The turn's speaker's enrolled name (see <see cref="SpeakerSummary.SpeakerName"/>); omitted when none (additive).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SpeakerName { get; init; }
    /// <summary>The score of that match (see <see cref="SpeakerSummary.SpeakerScore"/>); omitted with the name (additive).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SpeakerScore { get; init; }
    /// <summary>The role of the turn's speaker (see <see cref="SpeakerSummary.Role"/>); absent when none (schema 1.1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }
}

public sealed record EmotionTrack
{
    public required IReadOnlyList<string> Labels { get; init; }
    public required IReadOnlyList<EmotionSegment> Timeline { get; init; }
}

public sealed record EmotionSegment
{
    public required double Start { get; init; }
    public required double End { get; init; }
    public required string Label { get; init; }
    public required double Confidence { get; init; }
    public required IReadOnlyDictionary<string, double> Scores { get; init; }
    public string? Speaker { get; init; }
}

/// <summary>
/// Talk analytics from the turns, words and audio (docs/analytics.md). In a mixed recording every frame has one speaker,
/// so overlap and interruptions are only seen with <c>--channels split</c>.
/// </summary>
public sealed record TalkAnalytics
{
    /// <summary>Seconds in which at least one speaker talks (union of all turns).</summary>
    public required double TalkSeconds { get; init; }
    /// <summary>Sum of <see cref="Silences"/>.</summary>
    public required double NonTalkSeconds { get; init; }
    /// <summary>Seconds in which two or more speakers talk at once.</summary>
    public required double OverlapSeconds { get; init; }
    public required int TurnCount { get; init; }
    /// <summary>Stretches of at least <see cref="MinSilenceSeconds"/> in which nobody talks (recording start and end included).</summary>
    public required IReadOnlyList<TimeSpan2> Silences { get; init; }
    public required double MinSilenceSeconds { get; init; }
    /// <summary>An overlap counts as an interruption when it lasts at least this long.</summary>
    public required double MinInterruptionSeconds { get; init; }
    public required IReadOnlyList<SpeakerTalkStats> Speakers { get; init; }
}

/// <summary>One speaker's part of <see cref="TalkAnalytics"/>.</summary>
public sealed record SpeakerTalkStats
{
    public required string Speaker { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }
    /// <summary>Seconds covered by the speaker's turns.</summary>
    public required double TalkSeconds { get; init; }
    /// <summary>The speaker's talk time over the sum of all speakers' talk times (0..1).</summary>
    public required double Share { get; init; }
    public required int WordCount { get; init; }
    /// <summary>Words per minute of the speaker's talk time (a redacted span counts as one word).</summary>
    public required double WordsPerMinute { get; init; }
    /// <summary>The speaker's longest turn in seconds.</summary>
    public required double LongestMonologueSeconds { get; init; }
    /// <summary>RMS level of the speaker's voiced audio in dBFS (0 dBFS = a full-scale square wave); null when no audio was voiced.</summary>
    public double? MeanLoudnessDbfs { get; init; }
    /// <summary>Turns this speaker started while another was talking, overlapping by at least the minimum.</summary>
    public required int InterruptionsMade { get; init; }
    public required int InterruptionsReceived { get; init; }
}

/// <summary>What redaction removed from a result (docs/analytics.md#redaction).</summary>
public sealed record RedactionSummary
{
    /// <summary>The categories that were on: <c>card</c>, <c>phone</c>, <c>email</c>, <c>numbers</c>, <c>phrases</c>.</summary>
    public required IReadOnlyList<string> Categories { get; init; }
    /// <summary>Every redacted span: its label (e.g. <c>CARD</c>) and times; the text is never kept.</summary>
    public required IReadOnlyList<RedactedSpan> Spans { get; init; }
    /// <summary>Name of the audio file with the spans silenced, when it was written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Audio { get; init; }
}

public sealed record RedactedSpan
{
    public required string Label { get; init; }
    public required double Start { get; init; }
    public required double End { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Speaker { get; init; }
}

/// <summary>A plain time interval in seconds.</summary>
public sealed record TimeSpan2(double Start, double End)
{
    [JsonIgnore] public double Duration => End - Start;
}

/// <summary><c>transcript.json</c>.</summary>
public sealed record TranscriptDocument(
    string SchemaVersion, RecordingInfo Recording, ModelInfo Model, Transcript Transcript, IReadOnlyList<PhonemeSpan> Phonemes);

/// <summary><c>speakers.json</c>.</summary>
public sealed record SpeakersDocument(
    string SchemaVersion, RecordingInfo Recording, ModelInfo Model, IReadOnlyList<SpeakerSummary> Speakers, IReadOnlyList<Turn> Turns);

/// <summary><c>emotions.json</c>.</summary>
public sealed record EmotionsDocument(
    string SchemaVersion, RecordingInfo Recording, ModelInfo Model, EmotionTrack Emotions);

/// <summary><c>error.json</c>: written where the results would have been when a recording cannot be analysed.</summary>
public sealed record ErrorRecord
{
    public string SchemaVersion { get; init; } = ResultSchema.Version;
    public required string Recording { get; init; }
    /// <summary>A stable machine-readable code, e.g. <c>unsupported-media</c>, <c>too-long</c>, <c>inference-failed</c>.</summary>
    public required string Code { get; init; }
    public required string Message { get; init; }
    public string? JobId { get; init; }
    public string? ModelVersion { get; init; }
    public int Attempts { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
}

public static class ResultSchema
{
    /// <summary>1.1 (issue 15): speaker/turn <c>role</c>, <c>analytics</c>, <c>redaction</c>; all optional, so 1.0 readers are unaffected.</summary>
    public const string Version = "1.1";

    /// <summary>File names written per recording, in the order they are written (result.json last is the commit point).</summary>
    public static class Files
    {
        public const string Transcript = "transcript.json";
        public const string Speakers = "speakers.json";
        public const string Emotions = "emotions.json";
        public const string Vtt = "transcript.vtt";
        public const string Srt = "transcript.srt";
        public const string Report = "report.html";
        public const string Result = "result.json";
        public const string Error = "error.json";
        /// <summary>Optional: the recording (16 kHz mono) with the redacted spans silenced; written before result.json.</summary>
        public const string RedactedAudio = "redacted.wav";
    }

    public static TranscriptDocument ToTranscriptDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Transcript, r.Phonemes);
    public static SpeakersDocument ToSpeakersDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Speakers, r.Turns);
    public static EmotionsDocument ToEmotionsDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Emotions);
}
