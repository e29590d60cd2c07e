using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MtlBatch.Corpus;

/// <summary>One line of train/valid/test.jsonl (docs/corpus-format.md).</summary>
public sealed record UtteranceEntry
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("audio")] public required string Audio { get; init; }
    [JsonPropertyName("duration")] public required double Duration { get; init; }
    [JsonPropertyName("text")] public string? Text { get; init; }
    [JsonPropertyName("phonemes")] public IReadOnlyList<string>? Phonemes { get; init; }
    [JsonPropertyName("speaker")] public string? Speaker { get; init; }
    [JsonPropertyName("emotion")] public string? Emotion { get; init; }
    [JsonPropertyName("vad")] public IReadOnlyList<double[]>? Vad { get; init; }
    [JsonPropertyName("split")] public string? Split { get; init; }
    [JsonPropertyName("engine")] public string? Engine { get; init; }
    [JsonPropertyName("augment")] public IReadOnlyList<string>? Augment { get; init; }
    /// <summary>Imported real speech: the source ("wuw", "speech-commands", ...).</summary>
    [JsonPropertyName("source")] public string? Source { get; init; }
    /// <summary>Imported real speech: the source's own utterance kind (WUW 001-010, the Speech Commands word folder, the RTTM recording).</summary>
    [JsonPropertyName("utterance")] public string? Utterance { get; init; }
    /// <summary>Imported telephone speech: landlinephone, cellphone or speakerphone.</summary>
    [JsonPropertyName("phone")] public string? PhoneType { get; init; }
}

/// <summary>One reference segment of a conversation.</summary>
public sealed record ConversationSegment
{
    [JsonPropertyName("speaker")] public required string Speaker { get; init; }
    [JsonPropertyName("start")] public required double Start { get; init; }
    [JsonPropertyName("end")] public required double End { get; init; }
    [JsonPropertyName("text")] public required string Text { get; init; }
    [JsonPropertyName("emotion")] public required string Emotion { get; init; }
    /// <summary>Channel of <see cref="ConversationEntry.Audio2Ch"/> this party speaks on (two-channel calls only).</summary>
    [JsonPropertyName("channel")] public int? Channel { get; init; }
}

/// <summary>One line of conversations.jsonl.</summary>
public sealed record ConversationEntry
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("audio")] public required string Audio { get; init; }
    [JsonPropertyName("duration")] public required double Duration { get; init; }
    [JsonPropertyName("augment")] public IReadOnlyList<string>? Augment { get; init; }
    /// <summary>Two-channel rendering of a call (one party per channel) beside the mono mixdown in <see cref="Audio"/>.</summary>
    [JsonPropertyName("audio2ch")] public string? Audio2Ch { get; init; }
    /// <summary>Id of the text dialogue (dialogues.jsonl) the turns come from, when built with real dialogue text.</summary>
    [JsonPropertyName("dialogue")] public string? Dialogue { get; init; }
    [JsonPropertyName("segments")] public required IReadOnlyList<ConversationSegment> Segments { get; init; }
}

/// <summary>inventory.json.</summary>
public sealed record CorpusInventory
{
    [JsonPropertyName("sampleRate")] public int SampleRate { get; init; } = 16000;
    [JsonPropertyName("chars")] public required IReadOnlyList<string> Chars { get; init; }
    [JsonPropertyName("phonemes")] public required IReadOnlyList<string> Phonemes { get; init; }
    [JsonPropertyName("emotions")] public required IReadOnlyList<string> Emotions { get; init; }
    [JsonPropertyName("trainSpeakers")] public required IReadOnlyList<string> TrainSpeakers { get; init; }
    [JsonPropertyName("testSpeakers")] public required IReadOnlyList<string> TestSpeakers { get; init; }
    [JsonPropertyName("speakerVoices")] public IReadOnlyDictionary<string, string>? SpeakerVoices { get; init; }
}

public static class ManifestIo
{
    private static readonly JsonSerializerOptions Line = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteLinesAsync<T>(string path, IEnumerable<T> items, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path);
        foreach (var item in items)
            await writer.WriteLineAsync(JsonSerializer.Serialize(item, Line).AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<List<T>> ReadLinesAsync<T>(string path, CancellationToken cancellationToken)
    {
        var result = new List<T>();
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(JsonSerializer.Deserialize<T>(line, Line) ?? throw new JsonException($"Empty line in {path}."));
        }
        return result;
    }

    public static Task WriteInventoryAsync(string path, CorpusInventory inventory, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(inventory, Indented), cancellationToken);

    public static async Task<CorpusInventory> ReadInventoryAsync(string path, CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<CorpusInventory>(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), Line)
        ?? throw new JsonException($"Empty inventory {path}.");
}
