using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace MtlBatch.Corpus.Text;

/// <summary>One turn of a dialogue: who speaks (a role such as <c>agent</c>, <c>customer</c>, <c>doctor</c>) and what.</summary>
public sealed record DialogueTurn([property: JsonPropertyName("role")] string Role, [property: JsonPropertyName("text")] string Text);

/// <summary>A dialogue as its source writes it (text not yet normalised).</summary>
public sealed record RawDialogue(string Id, string Source, IReadOnlyList<DialogueTurn> Turns)
{
    /// <summary>Turns the reader left out because they may hold a personal name (Switchboard; docs/data-sources.md).</summary>
    public int TurnsDroppedForNames { get; init; }
}

/// <summary>Reads one kind of public dialogue text (docs/data-sources.md, "Text sources").</summary>
public interface IDialogueReader
{
    /// <summary>Short source name used in ids and summaries.</summary>
    string Name { get; }

    /// <summary>The files of a tree this reader reads (none when the tree is another source).</summary>
    IReadOnlyList<string> Select(IReadOnlyList<string> paths);

    Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken);
}

public static partial class DialogueReaders
{
    public static readonly IReadOnlyList<IDialogueReader> All = [new SgdReader(), new PriMockReader(), new AciBenchReader(), new MtsDialogReader(), new EarningsReader(), new SwitchboardReader()];

    /// <summary>Reads each selected file's text; files the tree lists without content are counted in <paramref name="missing"/>.</summary>
    internal static async Task<List<(string Path, string Text)>> ReadFilesAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken ct, Action<string>? missing = null)
    {
        var result = new List<(string, string)>();
        foreach (var f in files)
        {
            var text = await tree.ReadAsync(f, ct).ConfigureAwait(false);
            if (text is null) missing?.Invoke(f);
            else result.Add((f, text));
        }
        return result;
    }

    /// <summary>Undoes tokenised text ("do n't", "it 's", "hi , brian .") into ordinary writing.</summary>
    public static string Detokenize(string text) =>
        SpaceBeforePunctuation().Replace(Contraction().Replace(text, "$1"), "$1");

    /// <summary>Transcription markup (&lt;UNIN/&gt;, &lt;UNSURE&gt;...&lt;/UNSURE&gt;, [inaudible]) removed, inner words kept.</summary>
    public static string StripMarkup(string text) => Markup().Replace(text, " ");

    /// <summary>RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    public static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(field.ToString()); field.Clear();
                if (row.Count > 1 || row[0].Length > 0) rows.Add([.. row]);
                row.Clear();
            }
            else field.Append(c);
        }
        row.Add(field.ToString());
        if (row.Count > 1 || row[0].Length > 0) rows.Add([.. row]);
        return rows;
    }

    /// <summary>Rows of a CSV with a header, as name-to-value maps.</summary>
    internal static IEnumerable<Dictionary<string, string>> CsvRecords(string text)
    {
        var rows = ParseCsv(text);
        if (rows.Count == 0) yield break;
        var header = rows[0];
        foreach (var r in rows.Skip(1))
            yield return header.Select((h, i) => (h, v: i < r.Length ? r[i] : "")).ToDictionary(x => x.h, x => x.v, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Splits "Role: text" / "[role] text" lines into turns, merging a role's consecutive lines.</summary>
    internal static List<DialogueTurn> LabelledLines(string dialogue, Regex line)
    {
        var turns = new List<DialogueTurn>();
        foreach (var raw in dialogue.Split('\n'))
        {
            var m = line.Match(raw.Trim());
            if (!m.Success)
            {
                // A continuation line belongs to the previous speaker.
                if (turns.Count > 0 && raw.Trim().Length > 0) turns[^1] = turns[^1] with { Text = turns[^1].Text + " " + raw.Trim() };
                continue;
            }
            var role = m.Groups["role"].Value.Trim().ToLowerInvariant().Replace(' ', '_');
            var text = m.Groups["text"].Value.Trim();
            if (text.Length == 0) continue;
            if (turns.Count > 0 && turns[^1].Role == role) turns[^1] = turns[^1] with { Text = turns[^1].Text + " " + text };
            else turns.Add(new DialogueTurn(role, text));
        }
        return turns;
    }

    internal static string FileStem(string path) => Path.GetFileNameWithoutExtension(path);

    [GeneratedRegex(@"\s+(n't|'s|'re|'m|'ll|'ve|'d)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Contraction();

    [GeneratedRegex(@"\s+([,.!?;:])")]
    private static partial Regex SpaceBeforePunctuation();

    [GeneratedRegex(@"</?[A-Za-z_]+/?>|\[[a-z _-]+\]", RegexOptions.IgnoreCase)]
    private static partial Regex Markup();
}

/// <summary>Schema-Guided Dialogue (DSTC8): <c>{train,dev,test}/dialogues_NNN.json</c>, USER and SYSTEM turns.</summary>
public sealed partial class SgdReader : IDialogueReader
{
    public string Name => "sgd";

    public IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => FilePattern().IsMatch(p))];

    public async Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var result = new List<RawDialogue>();
        foreach (var (path, text) in await DialogueReaders.ReadFilesAsync(tree, files, cancellationToken).ConfigureAwait(false))
        {
            using var doc = JsonDocument.Parse(text);
            var split = path[..path.IndexOf('/', StringComparison.Ordinal)];
            foreach (var d in doc.RootElement.EnumerateArray())
            {
                var turns = d.GetProperty("turns").EnumerateArray()
                    .Select(t => new DialogueTurn(t.GetProperty("speaker").GetString() == "SYSTEM" ? "agent" : "customer", t.GetProperty("utterance").GetString() ?? ""))
                    .ToList();
                result.Add(new RawDialogue($"sgd:{split}/{d.GetProperty("dialogue_id").GetString()}", Name, turns));
            }
        }
        return result;
    }

    [GeneratedRegex(@"^(train|dev|test)/dialogues_\d+\.json$")]
    private static partial Regex FilePattern();
}

/// <summary>PriMock57: <c>transcripts/*_doctor.TextGrid</c> and <c>*_patient.TextGrid</c>, one tier each, turns ordered by time.</summary>
public sealed partial class PriMockReader : IDialogueReader
{
    public string Name => "primock57";

    public IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => FilePattern().IsMatch(p))];

    public async Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var intervals = new Dictionary<string, List<(double Start, string Role, string Text)>>(StringComparer.Ordinal);
        foreach (var (path, text) in await DialogueReaders.ReadFilesAsync(tree, files, cancellationToken).ConfigureAwait(false))
        {
            var m = FilePattern().Match(path);
            var consultation = m.Groups["id"].Value;
            var role = m.Groups["role"].Value;
            if (!intervals.TryGetValue(consultation, out var list)) intervals[consultation] = list = [];
            double start = 0;
            foreach (var line in text.Split('\n'))
            {
                var l = line.Trim();
                if (l.StartsWith("xmin = ", StringComparison.Ordinal)) start = double.Parse(l[7..].Trim(), CultureInfo.InvariantCulture);
                else if (l.StartsWith("text = \"", StringComparison.Ordinal) && l.EndsWith('"'))
                {
                    var body = DialogueReaders.StripMarkup(l[8..^1].Replace("\"\"", "\"", StringComparison.Ordinal)).Trim();
                    if (body.Length > 0) list.Add((start, role, body));
                }
            }
        }
        var result = new List<RawDialogue>();
        foreach (var (consultation, list) in intervals.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var turns = new List<DialogueTurn>();
            foreach (var (_, role, text) in list.OrderBy(x => x.Start))
            {
                if (turns.Count > 0 && turns[^1].Role == role) turns[^1] = turns[^1] with { Text = turns[^1].Text + " " + text };
                else turns.Add(new DialogueTurn(role, text));
            }
            result.Add(new RawDialogue($"primock57:{consultation}", Name, turns));
        }
        return result;
    }

    [GeneratedRegex(@"^transcripts/(?<id>[^/]+)_(?<role>doctor|patient)\.TextGrid$")]
    private static partial Regex FilePattern();
}

/// <summary>A CSV with one dialogue per row: an id column and a dialogue column of role-labelled lines.</summary>
public abstract class CsvDialogueReader(string name, string idColumn, Regex line, Func<string, string> clean) : IDialogueReader
{
    public string Name => name;

    public abstract IReadOnlyList<string> Select(IReadOnlyList<string> paths);

    public async Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var result = new List<RawDialogue>();
        foreach (var (path, text) in await DialogueReaders.ReadFilesAsync(tree, files, cancellationToken).ConfigureAwait(false))
            foreach (var r in DialogueReaders.CsvRecords(text))
            {
                if (!r.TryGetValue("dialogue", out var dialogue) || !r.TryGetValue(idColumn, out var id)) continue;
                var turns = DialogueReaders.LabelledLines(dialogue, line).Select(t => t with { Text = clean(t.Text) }).ToList();
                result.Add(new RawDialogue($"{name}:{DialogueReaders.FileStem(path)}/{id}", name, turns));
            }
        return result;
    }
}

/// <summary>ACI-Bench: <c>data/challenge_data/*.csv</c> (not *_metadata), column <c>dialogue</c> with tokenised "[doctor] ..." lines.</summary>
public sealed partial class AciBenchReader() : CsvDialogueReader("aci-bench", "encounter_id", Line(), DialogueReaders.Detokenize)
{
    public override IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => FilePattern().IsMatch(p) && !p.EndsWith("_metadata.csv", StringComparison.Ordinal))];

    [GeneratedRegex(@"^data/challenge_data/[^/]+\.csv$")]
    private static partial Regex FilePattern();

    [GeneratedRegex(@"^\[(?<role>[a-z_ ]+)\]\s*(?<text>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Line();
}

/// <summary>MTS-Dialog: <c>Main-Dataset/*.csv</c>, column <c>dialogue</c> with "Doctor: ..." / "Patient: ..." lines.</summary>
public sealed partial class MtsDialogReader() : CsvDialogueReader("mts-dialog", "ID", Line(), text => text)
{
    public override IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => FilePattern().IsMatch(p))];

    [GeneratedRegex(@"^Main-Dataset/[^/]+\.csv$")]
    private static partial Regex FilePattern();

    [GeneratedRegex(@"^(?<role>doctor|patient|guest_family|guest_clinician|guest|family|nurse)\s*:\s*(?<text>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Line();
}

/// <summary>
/// Earnings-21 and Earnings-22: <c>earnings2X/transcripts/nlp_references/*.nlp</c>, one token per line
/// (token|speaker|ts|endTs|punctuation|case|tags|...), a new turn at each speaker change.
/// </summary>
public sealed partial class EarningsReader : IDialogueReader
{
    public string Name => "earnings";

    public IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => FilePattern().IsMatch(p))];

    public async Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var result = new List<RawDialogue>();
        foreach (var (path, text) in await DialogueReaders.ReadFilesAsync(tree, files, cancellationToken).ConfigureAwait(false))
        {
            var turns = new List<DialogueTurn>();
            var words = new StringBuilder();
            string? speaker = null;
            void Flush()
            {
                if (speaker is not null && words.Length > 0) turns.Add(new DialogueTurn("speaker" + speaker, words.ToString().Trim()));
                words.Clear();
            }
            foreach (var line in text.Split('\n').Skip(1))
            {
                var cols = line.TrimEnd('\r').Split('|');
                if (cols.Length < 5 || cols[0].Length == 0) continue;
                if (cols[1] != speaker) { Flush(); speaker = cols[1]; }
                words.Append(cols[0]).Append(cols[4]).Append(' ');
            }
            Flush();
            result.Add(new RawDialogue($"{path[..path.IndexOf('/', StringComparison.Ordinal)]}:{DialogueReaders.FileStem(path)}", Name, turns));
        }
        return result;
    }

    [GeneratedRegex(@"^earnings2[12]/transcripts/nlp_references/[^/]+\.nlp$")]
    private static partial Regex FilePattern();
}

/// <summary>
/// The Switchboard sample of nltk_data: <c>packages/corpora/switchboard.zip</c>, entry <c>switchboard/transcript</c>
/// (36 telephone calls separated by blank lines, "A.1: text" lines; a line without a label continues the one before).
/// Rules (docs/data-sources.md): non-speech and annotation marks are removed (<c>&lt;laughter&gt;</c>,
/// <c>&lt;&lt;pause&gt;</c>, <c>[</c> <c>]</c> <c>+</c> <c>{C</c>, parentheses, dashes, "..."), partial words (<c>wh-</c>)
/// are dropped, disfluencies (uh, um, uh-huh) stay as words; every utterance that may hold a personal name
/// (<see cref="PersonalNames.FindLikelyName"/>, with the proper nouns of the sample's own tagging in
/// <c>switchboard/tagged</c>) is dropped whole and counted.
/// </summary>
internal sealed partial class SwitchboardReader : IDialogueReader
{
    public const string ZipPath = "packages/corpora/switchboard.zip", TranscriptEntry = "switchboard/transcript", TaggedEntry = "switchboard/tagged";

    public string Name => "switchboard";

    public IReadOnlyList<string> Select(IReadOnlyList<string> paths) => [.. paths.Where(p => p == ZipPath)];

    public async Task<IReadOnlyList<RawDialogue>> ReadAsync(ISourceTree tree, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var result = new List<RawDialogue>();
        foreach (var path in files)
        {
            var bytes = await tree.ReadBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (bytes is null) continue;
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var transcript = await ReadEntryAsync(zip, TranscriptEntry, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{tree.Location}: {path} holds no {TranscriptEntry}.");
            var tagged = await ReadEntryAsync(zip, TaggedEntry, cancellationToken).ConfigureAwait(false);
            var properNouns = tagged is null ? new HashSet<string>(StringComparer.Ordinal) : ProperNouns(tagged);
            var calls = Calls(transcript);
            for (var i = 0; i < calls.Count; i++)
            {
                var turns = new List<DialogueTurn>();
                var dropped = 0;
                foreach (var (speaker, text) in calls[i])
                {
                    var marked = RemoveMarks(text);
                    if (PersonalNames.FindLikelyName(marked, properNouns) is not null) { dropped++; continue; }
                    var spoken = DialogueReaders.Detokenize(Spaces().Replace(PartialWord().Replace(marked, "$1"), " ")).Trim();
                    if (spoken.Length > 0) turns.Add(new DialogueTurn("caller_" + speaker.ToLowerInvariant(), spoken));
                }
                result.Add(new RawDialogue($"switchboard:{i + 1:D2}", Name, turns) { TurnsDroppedForNames = dropped });
            }
        }
        return result;
    }

    private static async Task<string?> ReadEntryAsync(ZipArchive zip, string name, CancellationToken cancellationToken)
    {
        if (zip.GetEntry(name) is not { } entry) return null;
        using var reader = new StreamReader(entry.Open());
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The calls of a transcript: (speaker A or B, utterance) in order; blank lines separate calls.</summary>
    private static List<List<(string Speaker, string Text)>> Calls(string transcript)
    {
        var calls = new List<List<(string, string)>>();
        List<(string Speaker, string Text)>? call = null;
        foreach (var raw in transcript.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) { call = null; continue; }
            var m = Label().Match(line);
            if (m.Success)
            {
                if (call is null) calls.Add(call = []);
                call.Add((m.Groups["speaker"].Value, m.Groups["text"].Value));
            }
            else if (call is { Count: > 0 }) call[^1] = call[^1] with { Text = call[^1].Text + " " + line };
        }
        return calls;
    }

    /// <summary>Words tagged NNP/NNPS ("Randy/NNP") in <c>switchboard/tagged</c>, except single letters and the forms of I.</summary>
    private static HashSet<string> ProperNouns(string tagged) =>
        ProperNoun().Matches(tagged).Select(m => m.Groups["word"].Value)
            .Where(w => w.Length > 1 && !PersonalNames.IsFirstPerson(w)).ToHashSet(StringComparer.Ordinal);

    private static string RemoveMarks(string text) =>
        Spaces().Replace(LoneDashes().Replace(Symbols().Replace(Angled().Replace(text, " "), " "), " "), " ").Trim();

    [GeneratedRegex(@"^(?<speaker>[AB])\.\d+:\s*(?<text>.*)$")]
    private static partial Regex Label();

    [GeneratedRegex(@"(?<=^|\s)(?<word>[^\s/]+)/NNPS?(?=\s|$)", RegexOptions.Multiline)]
    private static partial Regex ProperNoun();

    // <laughter>, <Throat_clearing>, <<pause>, <<very faint>: non-speech events and transcriber comments.
    [GeneratedRegex(@"<+[^<>]*>")]
    private static partial Regex Angled();

    // Disfluency and discourse marks: [ ] + { } with their letter ({C, {F), parentheses, underscores.
    [GeneratedRegex(@"\{[A-Z]?|[\[\]+}()_]")]
    private static partial Regex Symbols();

    // Restart dashes ("-", "--") and trailing-off dots ("...") standing as tokens of their own.
    [GeneratedRegex(@"(?<=^|\s)(-+|\.{2,})(?=\s|$)")]
    private static partial Regex LoneDashes();

    // A partial word (wh-, to-, Bas-) with the punctuation after it kept.
    [GeneratedRegex(@"(?<=^|\s)[A-Za-z']+-([,.?!]*)(?=\s|$)")]
    private static partial Regex PartialWord();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
