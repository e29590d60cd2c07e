using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace MtlBatch.Corpus.Text;

/// <summary>One line of <c>dialogues.jsonl</c>: a dialogue's normalised turns with their speaker roles.</summary>
public sealed record DialogueRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    /// <summary><c>train</c> or <c>heldout</c> (a stable hash of the id).</summary>
    [JsonPropertyName("split")] public required string Split { get; init; }
    [JsonPropertyName("turns")] public required IReadOnlyList<DialogueTurn> Turns { get; init; }
}

/// <summary>Per source: what was read and what was kept.</summary>
public sealed record TextSourceSummary(
    [property: JsonPropertyName("location")] string Location,
    [property: JsonPropertyName("dialogues")] int Dialogues,
    [property: JsonPropertyName("heldOutDialogues")] int HeldOutDialogues,
    [property: JsonPropertyName("turns")] int Turns,
    [property: JsonPropertyName("keptTurns")] int KeptTurns,
    [property: JsonPropertyName("sentences")] int Sentences,
    [property: JsonPropertyName("keptSentences")] int KeptSentences,
    [property: JsonPropertyName("filesWithoutContent")] int FilesWithoutContent,
    [property: JsonPropertyName("turnsDroppedForNames")] int TurnsDroppedForNames);

/// <summary>The files <c>mtlbatch corpus text</c> writes and <c>corpus build --text</c> reads (docs/corpus-v2.md).</summary>
public sealed class DialogueText
{
    public const string DialoguesFile = "dialogues.jsonl", TrainSentencesFile = "sentences-train.txt", HeldOutSentencesFile = "sentences-heldout.txt", SummaryFile = "summary.json";

    public required IReadOnlyList<string> TrainSentences { get; init; }
    public required IReadOnlyList<string> HeldOutSentences { get; init; }
    public required IReadOnlyList<DialogueRecord> HeldOutDialogues { get; init; }

    /// <summary>True when a dialogue id belongs to the held-out share (about 12 %): FNV-1a, stable across runs.</summary>
    public static bool IsHeldOut(string dialogueId)
    {
        uint h = 2166136261;
        foreach (var c in dialogueId) { h ^= c; h *= 16777619; }
        return h % 100 < 12;
    }

    public static async Task<DialogueText> LoadAsync(string folder, CancellationToken cancellationToken)
    {
        foreach (var f in new[] { DialoguesFile, TrainSentencesFile, HeldOutSentencesFile })
            if (!File.Exists(Path.Combine(folder, f))) throw new FileNotFoundException($"'{folder}' is not a text folder from 'mtlbatch corpus text' ({f} missing).", Path.Combine(folder, f));
        var dialogues = (await ManifestIo.ReadLinesAsync<DialogueRecord>(Path.Combine(folder, DialoguesFile), cancellationToken).ConfigureAwait(false))
            .Where(d => d.Split == "heldout").ToArray();
        return new DialogueText
        {
            TrainSentences = await File.ReadAllLinesAsync(Path.Combine(folder, TrainSentencesFile), cancellationToken).ConfigureAwait(false),
            HeldOutSentences = await File.ReadAllLinesAsync(Path.Combine(folder, HeldOutSentencesFile), cancellationToken).ConfigureAwait(false),
            HeldOutDialogues = dialogues,
        };
    }
}

/// <summary>
/// Extracts normalised sentences and dialogue turn sequences from public dialogue text (SGD, PriMock57, ACI-Bench,
/// MTS-Dialog, Earnings-21/22, the Switchboard sample of nltk_data). Whole dialogues are held out by a stable hash of their id; a held-out sentence that
/// also occurs in a training dialogue is dropped from the held-out list, so test text is never trained on.
/// </summary>
public sealed partial class TextCorpusBuilder(ILogger<TextCorpusBuilder> logger)
{
    public const int MinWords = 3, MaxWords = 30, MaxChars = 200;
    private readonly ProcessRunner _runner = new();

    public async Task<IReadOnlyDictionary<string, TextSourceSummary>> BuildAsync(IReadOnlyList<string> sources, string outputFolder, CancellationToken cancellationToken,
        string dictionaryFile = SentenceSource.DictionaryFile)
    {
        Directory.CreateDirectory(outputFolder);
        var dictionary = SentenceSource.LoadDictionary(dictionaryFile);
        if (dictionary is null) logger.LogWarning("No word list at {Dictionary} (package wamerican): sentences are not checked for unknown words", dictionaryFile);
        var records = new List<DialogueRecord>();
        var train = new SortedSet<string>(StringComparer.Ordinal);
        var heldOut = new SortedSet<string>(StringComparer.Ordinal);
        var summaries = new SortedDictionary<string, TextSourceSummary>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var tree = SourceTrees.Open(source, _runner);
            var paths = await tree.ListAsync(cancellationToken).ConfigureAwait(false);
            var matched = false;
            foreach (var reader in DialogueReaders.All)
            {
                var files = reader.Select(paths);
                if (files.Count == 0) continue;
                matched = true;
                var missing = 0;
                var counting = new CountingTree(tree, () => missing++);
                var raw = await reader.ReadAsync(counting, files, cancellationToken).ConfigureAwait(false);
                int turns = 0, keptTurns = 0, sentences = 0, keptSentences = 0, held = 0, named = 0;
                foreach (var d in raw.OrderBy(d => d.Id, StringComparer.Ordinal))
                {
                    turns += d.TurnsDroppedForNames;
                    named += d.TurnsDroppedForNames;
                    var split = DialogueText.IsHeldOut(d.Id) ? "heldout" : "train";
                    var pool = split == "train" ? train : heldOut;
                    var kept = new List<DialogueTurn>();
                    foreach (var turn in d.Turns)
                    {
                        turns++;
                        var parts = SentencesOf(turn.Text).ToArray();
                        sentences += parts.Length;
                        var good = parts.Select(p => NormalizeSentence(p, dictionary)).OfType<string>().ToArray();
                        keptSentences += good.Length;
                        if (good.Length == 0) continue;
                        keptTurns++;
                        var whole = string.Join(' ', good);
                        kept.Add(new DialogueTurn(turn.Role, whole));
                        foreach (var candidate in good.Append(whole))
                            if (IsUtteranceLength(candidate)) pool.Add(candidate);
                    }
                    if (split == "heldout") held++;
                    if (kept.Count > 0) records.Add(new DialogueRecord { Id = d.Id, Source = d.Source, Split = split, Turns = kept });
                }
                var key = reader.Name + (summaries.ContainsKey(reader.Name) ? "@" + tree.Location : "");
                summaries[key] = new TextSourceSummary(tree.Location, raw.Count, held, turns, keptTurns, sentences, keptSentences, missing, named);
                logger.LogInformation("Text source {Source} at {Location}: {Dialogues} dialogues ({HeldOut} held out), {Kept}/{Sentences} sentences kept, {Named} turns dropped for a possible personal name, {Missing} files without content",
                    reader.Name, tree.Location, raw.Count, held, keptSentences, sentences, named, missing);
            }
            if (!matched) throw new InvalidDataException($"'{source}' holds none of the known text sources (SGD, PriMock57, ACI-Bench, MTS-Dialog, Earnings-21/22, Switchboard of nltk_data).");
        }

        records.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        heldOut.ExceptWith(train);

        await ManifestIo.WriteLinesAsync(Path.Combine(outputFolder, DialogueText.DialoguesFile), records, cancellationToken).ConfigureAwait(false);
        await File.WriteAllLinesAsync(Path.Combine(outputFolder, DialogueText.TrainSentencesFile), train, cancellationToken).ConfigureAwait(false);
        await File.WriteAllLinesAsync(Path.Combine(outputFolder, DialogueText.HeldOutSentencesFile), heldOut, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, DialogueText.SummaryFile),
            JsonSerializer.Serialize(new { sources = summaries, dialogues = records.Count, trainSentences = train.Count, heldOutSentences = heldOut.Count }, SummaryJson), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Text corpus {Folder}: {Dialogues} dialogues, {Train} training and {HeldOut} held-out sentences", outputFolder, records.Count, train.Count, heldOut.Count);
        return summaries;
    }

    private static readonly JsonSerializerOptions SummaryJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Sentences of a source turn (split after . ! ? followed by space).</summary>
    public static IEnumerable<string> SentencesOf(string text) =>
        SentenceEnd().Split(DialogueReaders.StripMarkup(text)).Select(s => s.Trim()).Where(s => s.Length > 0);

    /// <summary>
    /// A source sentence in the model's characters, or null when it cannot be spoken faithfully: all-capital
    /// acronyms (read letter by letter), words missing from the word list (names the voices garble), symbols.
    /// </summary>
    public static string? NormalizeSentence(string sentence, HashSet<string>? dictionary)
    {
        if (Acronym().IsMatch(sentence)) return null;
        var normalized = TextNormalizer.Normalize(sentence);
        if (normalized is null) return null;
        if (dictionary is not null && normalized.Split(' ').Any(w => w.Length > 1 && !dictionary.Contains(w))) return null;
        return normalized;
    }

    /// <summary>Between <see cref="MinWords"/> and <see cref="MaxWords"/> words and at most <see cref="MaxChars"/> characters.</summary>
    public static bool IsUtteranceLength(string normalized) =>
        normalized.Length <= MaxChars && normalized.Count(c => c == ' ') + 1 is >= MinWords and <= MaxWords;

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    // Two or more capitals in a row (CEO, EBITDA, TV) outside the few that read as words.
    [GeneratedRegex(@"\b(?!OK\b|I\b)[A-Z]{2,}s?\b")]
    private static partial Regex Acronym();

    /// <summary>Counts files the tree lists but cannot give.</summary>
    private sealed class CountingTree(ISourceTree inner, Action missing) : ISourceTree
    {
        public string Location => inner.Location;
        public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);
        public async Task<string?> ReadAsync(string path, CancellationToken cancellationToken)
        {
            var text = await inner.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (text is null) missing();
            return text;
        }
        public async Task<byte[]?> ReadBytesAsync(string path, CancellationToken cancellationToken)
        {
            var bytes = await inner.ReadBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (bytes is null) missing();
            return bytes;
        }
    }
}
