using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MtlBatch.Corpus.Import;

/// <summary>The formats <c>mtlbatch corpus import</c> reads.</summary>
public enum ImportFormat { Wuw, SpeechCommands, LibrispeechSpeakers, Rttm, Ljspeech, Kaldi, CommonVoice }

/// <summary>Options of one import (what the CLI passes).</summary>
public sealed class ImportOptions
{
    /// <summary>RTTM: recordings whose name starts with one of these are imported (default: all).</summary>
    public IReadOnlyList<string> Include { get; init; } = [];
    /// <summary>RTTM: recordings that form the held-out test set (written as conversations).</summary>
    public IReadOnlyList<string> TestRecordings { get; init; } = [];
    /// <summary>RTTM: turns shorter than this are not cut out as speaker clips.</summary>
    public double MinTurnSeconds { get; init; } = 1.0;
    /// <summary>LibriSpeech speakers: crop length (the long read clips become several speaker samples).</summary>
    public double CropSeconds { get; init; } = 4.0;
    /// <summary>Kaldi / Common Voice / LJSpeech: force every item into one split instead of the hashed one.</summary>
    public string? Split { get; init; }
}

/// <summary>
/// The importers: each reads one source layout and returns a plan (items with labels and split); the
/// <see cref="CorpusImportWriter"/> does the decoding and writing the same way for all of them.
/// </summary>
public static partial class Importers
{
    public static async Task<ImportPlan> PlanAsync(ImportFormat format, SourceTree tree, ImportOptions options, CancellationToken ct)
    {
        var files = await tree.ListAsync(ct).ConfigureAwait(false);
        return format switch
        {
            ImportFormat.Wuw => await WuwAsync(tree, files, ct).ConfigureAwait(false),
            ImportFormat.SpeechCommands => SpeechCommands(files),
            ImportFormat.LibrispeechSpeakers => LibriSpeech(files, options),
            ImportFormat.Rttm => await RttmAsync(tree, files, options, ct).ConfigureAwait(false),
            ImportFormat.Ljspeech => await LjSpeechAsync(tree, files, options, ct).ConfigureAwait(false),
            ImportFormat.Kaldi => await KaldiAsync(tree, files, options, ct).ConfigureAwait(false),
            ImportFormat.CommonVoice => await CommonVoiceAsync(tree, files, options, ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
        };
    }

    /// <summary>
    /// WUW-II: 8 kHz µ-law telephone utterances, one caller per session. Utterance 000 (the caller saying their
    /// name) is never read; held-out by session.
    /// </summary>
    private static async Task<ImportPlan> WuwAsync(SourceTree tree, IReadOnlyList<SourceFile> files, CancellationToken ct)
    {
        var table = files.FirstOrDefault(f => f.Path.EndsWith("WUWII_Transcriptions.txt", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{tree.Location}: no WUWII_Transcriptions.txt (archive/WUWII_Transcriptions.txt in wake-up-word/wuw-corpus-ii).");
        var text = await tree.ReadTextAsync(table.Path, ct).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{table.Path} is absent from the snapshot.");
        // Some sessions also hold processed copies in a sub-folder (calls/S/F/F.ulaw): the shortest path is the recording.
        var audio = files.Where(f => f.Path.EndsWith(".ulaw", StringComparison.Ordinal))
            .GroupBy(f => Path.GetFileName(f.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MinBy(f => f.Path.Length)!.Path, StringComparer.Ordinal);
        var plan = new ImportPlan { Source = "wuw" };
        foreach (var line in text.Split('\n'))
        {
            var fields = line.TrimEnd('\r').Split('|');
            if (line.StartsWith('#') || fields.Length < 11) continue;
            var (phone, session, utterance, file) = (fields[4].Trim(), fields[5].Trim(), fields[6].Trim(), fields[7].Trim());
            var fileUtterance = FileUtteranceRegex().Match(file);
            if (utterance == "000" || !fileUtterance.Success || fileUtterance.Groups[1].Value == "000")
            {
                plan.Drop("utterance 000 (caller's name): never imported");
                continue;
            }
            var (kind, normalized) = WuwOrthography.Normalize(string.Join('|', fields[10..]));
            if (kind == WuwTextKind.Drop)
            {
                plan.Drop("may contain a person's name (^ proper noun or 'my name')");
                continue;
            }
            if (!audio.TryGetValue(file, out var path))
            {
                plan.Drop("audio file not in the repository");
                continue;
            }
            if (kind == WuwTextKind.NoText) plan.Drop("kept without transcript (unintelligible, partial or spelled words)");
            plan.Items.Add(new ImportItem
            {
                Id = $"wuw-{session}-{utterance}", SourcePath = path, Format = SourceAudioFormat.Mulaw8k,
                Split = HeldOutSplit.SplitOf("wuw", session), Text = normalized, Speaker = $"wuw-{session}",
                Utterance = utterance, PhoneType = phone,
            });
        }
        return plan;
    }

    /// <summary>Speech Commands: <c>&lt;word&gt;/&lt;speaker&gt;_nohash_&lt;n&gt;.wav</c>; held-out by speaker.</summary>
    private static ImportPlan SpeechCommands(IReadOnlyList<SourceFile> files)
    {
        var plan = new ImportPlan { Source = "speech-commands" };
        foreach (var f in files)
        {
            var m = SpeechCommandsRegex().Match(f.Path);
            if (!m.Success) continue;
            var (word, name) = (m.Groups[1].Value, m.Groups[2].Value);
            if (word == "_unknown_") name = name.Replace(".wav", "", StringComparison.Ordinal);
            var id = $"sc-{word.Trim('_')}-{Slug(name)}";
            if (word == "_silence_")
            {
                plan.Items.Add(new ImportItem { Id = id, SourcePath = f.Path, Split = HeldOutSplit.SplitOf("speech-commands", name), NoSpeech = true, Utterance = word });
                continue;
            }
            // _unknown_ clips are named <word>_<speaker>_nohash_<n>.wav(.wav): other words, still labelled.
            var speaker = SpeakerRegex().Match(name);
            if (!speaker.Success) continue; // not a Speech Commands clip (other audio in the repository)
            var spoken = word == "_unknown_" ? speaker.Groups[1].Value.TrimEnd('_') : word;
            var text = spoken.Length == 0 ? null : TextNormalizer.Normalize(spoken);
            plan.Items.Add(new ImportItem
            {
                Id = id, SourcePath = f.Path, Split = HeldOutSplit.SplitOf("speech-commands", speaker.Groups[2].Value),
                Text = text, Speaker = "sc-" + speaker.Groups[2].Value, Utterance = word,
            });
        }
        return plan;
    }

    /// <summary>LibriSpeech clips named <c>&lt;speaker&gt;-&lt;chapter&gt;-&lt;n&gt;.flac</c>: speaker labels only, cropped.</summary>
    private static ImportPlan LibriSpeech(IReadOnlyList<SourceFile> files, ImportOptions options)
    {
        var plan = new ImportPlan { Source = "librispeech" };
        foreach (var f in files)
        {
            var m = LibriRegex().Match(f.Path);
            if (!m.Success) continue;
            var speaker = m.Groups[2].Value;
            plan.Items.Add(new ImportItem
            {
                Id = $"ls-{m.Groups[1].Value}", SourcePath = f.Path, Split = HeldOutSplit.SplitOf("librispeech", speaker),
                Speaker = "ls-" + speaker, CropSeconds = options.CropSeconds,
            });
        }
        return plan;
    }

    /// <summary>
    /// RTTM speaker turns (pyannote's AMI excerpts): held-out recordings become conversations (DER) plus speaker
    /// clips in test; the others become speaker clips (turns of at least MinTurnSeconds that overlap no other speaker).
    /// </summary>
    private static async Task<ImportPlan> RttmAsync(SourceTree tree, IReadOnlyList<SourceFile> files, ImportOptions options, CancellationToken ct)
    {
        var plan = new ImportPlan { Source = "rttm" };
        var wavs = files.Where(f => f.Path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .GroupBy(f => Ascii(Path.GetFileNameWithoutExtension(f.Path)), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Path, StringComparer.Ordinal);
        var turns = new Dictionary<string, List<(string Speaker, double Start, double End)>>(StringComparer.Ordinal);
        foreach (var rttm in files.Where(f => f.Path.EndsWith(".rttm", StringComparison.OrdinalIgnoreCase)))
        {
            var text = await tree.ReadTextAsync(rttm.Path, ct).ConfigureAwait(false) ?? "";
            foreach (var line in text.Split('\n'))
            {
                var p = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (p.Length < 8 || p[0] != "SPEAKER") continue;
                var uri = Ascii(p[1]);
                if (options.Include.Count > 0 && !options.Include.Any(i => uri.StartsWith(i, StringComparison.Ordinal))) continue;
                var start = double.Parse(p[3], CultureInfo.InvariantCulture);
                var dur = double.Parse(p[4], CultureInfo.InvariantCulture);
                if (!turns.TryGetValue(uri, out var list)) turns[uri] = list = [];
                list.Add((Ascii(p[7]), start, start + dur));
            }
        }
        foreach (var (uri, list) in turns.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!wavs.TryGetValue(uri, out var path)) { plan.Drop("recording in the RTTM without its wav"); continue; }
            var test = options.TestRecordings.Contains(uri, StringComparer.Ordinal);
            if (test)
                plan.Conversations.Add(new ImportConversation("rttm-" + uri, path, list.OrderBy(t => t.Start)
                    .Select(t => new ConversationSegment { Speaker = "rttm-" + t.Speaker, Start = Math.Round(t.Start, 3), End = Math.Round(t.End, 3), Text = "", Emotion = "" }).ToList()));
            var n = 0;
            foreach (var t in list.OrderBy(t => t.Start))
            {
                var overlapped = list.Any(o => o.Speaker != t.Speaker && o.Start < t.End && o.End > t.Start);
                if (t.End - t.Start < options.MinTurnSeconds || overlapped) { plan.Drop("turn too short or overlapped"); continue; }
                plan.Items.Add(new ImportItem
                {
                    Id = $"rttm-{uri}-{n++:D3}", SourcePath = path, Split = test ? "test" : "train", Speaker = "rttm-" + t.Speaker,
                    Clip = (t.Start, t.End), Vad = [[0, Math.Round(t.End - t.Start, 3)]], Utterance = uri,
                });
            }
        }
        return plan;
    }

    /// <summary>LJSpeech: <c>metadata.csv</c> (id|text|normalised text) and <c>wavs/&lt;id&gt;.wav</c>; one speaker.</summary>
    private static async Task<ImportPlan> LjSpeechAsync(SourceTree tree, IReadOnlyList<SourceFile> files, ImportOptions options, CancellationToken ct)
    {
        var plan = new ImportPlan { Source = "ljspeech" };
        foreach (var meta in files.Where(f => Path.GetFileName(f.Path) == "metadata.csv"))
        {
            var folder = Path.GetDirectoryName(meta.Path)?.Replace('\\', '/') ?? "";
            // coqui-ai/TTS keeps .flac, .mp3 and .npy copies beside each .wav: the .wav is the recording.
            var wavs = files.Where(f => f.Path.StartsWith(Prefix(folder) + "wavs/", StringComparison.Ordinal) && f.Path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(f => Path.GetFileNameWithoutExtension(f.Path), f => f.Path, StringComparer.Ordinal);
            if (wavs.Count == 0) continue;
            foreach (var line in ((await tree.ReadTextAsync(meta.Path, ct).ConfigureAwait(false)) ?? "").Split('\n'))
            {
                var p = line.TrimEnd('\r').Split('|');
                if (p.Length < 2) continue;
                if (!wavs.TryGetValue(p[0], out var path)) { plan.Drop("audio file not in the repository"); continue; }
                var text = TextNormalizer.Normalize(p[^1]);
                if (text is null) plan.Drop("kept without transcript (text not normalisable)");
                plan.Items.Add(new ImportItem { Id = "lj-" + Slug(p[0]), SourcePath = path, Split = options.Split ?? "train", Text = text, Speaker = "lj-ljspeech" });
            }
        }
        return plan;
    }

    /// <summary>A Kaldi data directory: <c>wav.scp</c>, <c>text</c>, <c>utt2spk</c>, optional <c>segments</c>; held-out by speaker.</summary>
    private static async Task<ImportPlan> KaldiAsync(SourceTree tree, IReadOnlyList<SourceFile> files, ImportOptions options, CancellationToken ct)
    {
        var plan = new ImportPlan { Source = "kaldi" };
        async Task<Dictionary<string, string>> Table(string name, bool required)
        {
            var text = files.Any(f => f.Path == name) ? await tree.ReadTextAsync(name, ct).ConfigureAwait(false) : null;
            if (text is null && required) throw new InvalidDataException($"{tree.Location}: Kaldi data directory without {name}.");
            var table = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in (text ?? "").Split('\n'))
            {
                var l = line.Trim();
                var space = l.IndexOfAny([' ', '\t']);
                if (space > 0) table[l[..space]] = l[(space + 1)..].Trim();
            }
            return table;
        }
        var wavScp = await Table("wav.scp", true).ConfigureAwait(false);
        var texts = await Table("text", false).ConfigureAwait(false);
        var utt2spk = await Table("utt2spk", false).ConfigureAwait(false);
        var segments = await Table("segments", false).ConfigureAwait(false);
        foreach (var (rec, spec) in wavScp)
            if (spec.EndsWith('|'))
                throw new InvalidDataException($"wav.scp entry {rec} is a command ('{spec}'): run it to files and list the files instead.");
        var utterances = segments.Count > 0
            ? segments.Select(kv => (Utt: kv.Key, Parts: kv.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Select(s => (s.Utt, Rec: s.Parts[0],
                Clip: ((double, double)?)(double.Parse(s.Parts[1], CultureInfo.InvariantCulture), double.Parse(s.Parts[2], CultureInfo.InvariantCulture))))
            : wavScp.Keys.Select(u => (Utt: u, Rec: u, Clip: ((double, double)?)null));
        foreach (var (utt, rec, clip) in utterances.OrderBy(u => u.Utt, StringComparer.Ordinal))
        {
            if (!wavScp.TryGetValue(rec, out var path)) { plan.Drop("segment of a recording missing from wav.scp"); continue; }
            var speaker = utt2spk.GetValueOrDefault(utt);
            string? text = null;
            if (texts.TryGetValue(utt, out var raw))
            {
                text = TextNormalizer.Normalize(raw);
                if (text is null) plan.Drop("kept without transcript (text not normalisable)");
            }
            plan.Items.Add(new ImportItem
            {
                Id = "kaldi-" + Slug(utt), SourcePath = path, Clip = clip, Text = text, Speaker = speaker is null ? null : "kaldi-" + speaker,
                Split = options.Split ?? HeldOutSplit.SplitOf("kaldi", speaker ?? utt),
            });
        }
        return plan;
    }

    /// <summary>Common Voice: <c>train.tsv</c>/<c>dev.tsv</c>/<c>test.tsv</c> (client_id, path, sentence, ...) and <c>clips/</c>.</summary>
    private static async Task<ImportPlan> CommonVoiceAsync(SourceTree tree, IReadOnlyList<SourceFile> files, ImportOptions options, CancellationToken ct)
    {
        var plan = new ImportPlan { Source = "common-voice" };
        var clips = files.Where(f => f.Path.StartsWith("clips/", StringComparison.Ordinal))
            .ToDictionary(f => f.Path["clips/".Length..], f => f.Path, StringComparer.Ordinal);
        foreach (var (tsv, split) in new[] { ("train.tsv", "train"), ("dev.tsv", "valid"), ("test.tsv", "test") })
        {
            if (!files.Any(f => f.Path == tsv)) continue;
            var lines = ((await tree.ReadTextAsync(tsv, ct).ConfigureAwait(false)) ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            if (lines.Count == 0) continue;
            var header = lines[0].Split('\t');
            int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidDataException($"{tsv}: no '{name}' column.");
            var (client, pathCol, sentence) = (Col("client_id"), Col("path"), Col("sentence"));
            foreach (var line in lines.Skip(1))
            {
                var p = line.Split('\t');
                if (p.Length <= Math.Max(client, Math.Max(pathCol, sentence))) { plan.Drop("malformed TSV line"); continue; }
                if (!clips.TryGetValue(p[pathCol], out var path)) { plan.Drop("clip not found"); continue; }
                var text = TextNormalizer.Normalize(p[sentence]);
                if (text is null) plan.Drop("kept without transcript (text not normalisable)");
                var speaker = "cv-" + p[client][..Math.Min(16, p[client].Length)];
                plan.Items.Add(new ImportItem { Id = "cv-" + Slug(Path.GetFileNameWithoutExtension(p[pathCol])), SourcePath = path, Split = options.Split ?? split, Text = text, Speaker = speaker });
            }
        }
        return plan;
    }

    private static string Prefix(string folder) => folder.Length == 0 ? "" : folder + "/";

    /// <summary>
    /// ASCII-folds a name (the AMI excerpt trñ00.wav is trn00 in its RTTM; speaker MÉO069 becomes MEO069). A table,
    /// not string.Normalize: the project runs with invariant globalization, where normalisation is unavailable.
    /// </summary>
    public static string Ascii(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c < 128) sb.Append(c);
            else if (c is >= '\u0300' and <= '\u036f') continue; // combining accents of a decomposed name
            else
            {
                var i = Accented.IndexOf(c, StringComparison.Ordinal);
                sb.Append(i >= 0 ? Plain[i] : '_');
            }
        }
        return sb.ToString();
    }

    private const string Accented = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝ";
    private const string Plain = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY";

    private static string Slug(string s) => SlugRegex().Replace(Ascii(s), "_");

    [GeneratedRegex(@"_(\d{3})\.ulaw$")]
    private static partial Regex FileUtteranceRegex();

    [GeneratedRegex(@"(?:^|/)([^/]+)/([^/]+)\.wav$")]
    private static partial Regex SpeechCommandsRegex();

    [GeneratedRegex(@"^([a-z]+_)?([0-9a-f]{8})_nohash_\d+$")]
    private static partial Regex SpeakerRegex();

    [GeneratedRegex(@"(?:^|/)((\d+)-\d+-\d+)\.flac$")]
    private static partial Regex LibriRegex();

    [GeneratedRegex(@"[^A-Za-z0-9_-]")]
    private static partial Regex SlugRegex();
}
