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
    public const string Version = "1.0";

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
    }

    public static TranscriptDocument ToTranscriptDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Transcript, r.Phonemes);
    public static SpeakersDocument ToSpeakersDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Speakers, r.Turns);
    public static EmotionsDocument ToEmotionsDocument(this AnalysisResult r) => new(r.SchemaVersion, r.Recording, r.Model, r.Emotions);
}
