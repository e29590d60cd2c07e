namespace MtlBatch.Corpus.Import;

/// <summary>How the bytes of a source file are to be decoded.</summary>
public enum SourceAudioFormat
{
    /// <summary>Anything ffmpeg recognises by itself (wav, flac, mp3, ...).</summary>
    Container,
    /// <summary>Headerless 8 kHz G.711 µ-law (WUW <c>.ulaw</c> files).</summary>
    Mulaw8k,
}

/// <summary>One utterance an importer wants written: where its audio is, what labels it has, which split it is in.</summary>
public sealed record ImportItem
{
    public required string Id { get; init; }
    /// <summary>Path of the audio inside the source tree.</summary>
    public required string SourcePath { get; init; }
    public SourceAudioFormat Format { get; init; } = SourceAudioFormat.Container;
    /// <summary>"train", "valid" or "test".</summary>
    public required string Split { get; init; }
    public string? Text { get; init; }
    public string? Speaker { get; init; }
    /// <summary>Cut this stretch of the source (seconds); null = the whole file.</summary>
    public (double Start, double End)? Clip { get; init; }
    /// <summary>Known speech intervals (seconds, relative to the written clip); null = from energy.</summary>
    public IReadOnlyList<double[]>? Vad { get; init; }
    /// <summary>The clip holds no speech at all (Speech Commands _silence_): VAD target is empty.</summary>
    public bool NoSpeech { get; init; }
    /// <summary>Cut the written audio into consecutive crops of this many seconds (ids get -c00, -c01, ...).</summary>
    public double? CropSeconds { get; init; }
    public string? Utterance { get; init; }
    public string? PhoneType { get; init; }
}

/// <summary>An importer's plan: the items to write, conversations to write whole, and what it left out and why.</summary>
public sealed class ImportPlan
{
    public required string Source { get; init; }
    public List<ImportItem> Items { get; } = [];
    public List<ImportConversation> Conversations { get; } = [];
    /// <summary>Reason -> count of utterances left out before any audio was read.</summary>
    public SortedDictionary<string, int> Dropped { get; } = new(StringComparer.Ordinal);

    public void Drop(string reason) => Dropped[reason] = Dropped.GetValueOrDefault(reason) + 1;
}

/// <summary>A whole recording with reference speaker turns (text and emotion unknown: DER only).</summary>
public sealed record ImportConversation(string Id, string SourcePath, IReadOnlyList<ConversationSegment> Segments);
