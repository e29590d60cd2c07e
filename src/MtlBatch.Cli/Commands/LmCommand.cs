using System.CommandLine;
using Microsoft.Extensions.Logging;
using MtlBatch.Corpus;
using MtlBatch.Inference.Ctc;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch lm build</c>: count the character n-gram LM the word beam search fuses (docs/inference.md, "Language model").</summary>
public sealed class LmCommand : ICliCommand
{
    public Command Build()
    {
        var corpus = new Option<DirectoryInfo>("--corpus") { Description = "Corpus folder: the text of its train.jsonl is used (never valid/test).", Required = true };
        var order = new Option<int>("--order") { Description = "N-gram order (characters of context + 1).", DefaultValueFactory = _ => 6 };
        var minCount = new Option<int>("--min-count") { Description = "Drop n-grams of order >= 3 seen fewer times (keeps the file small).", DefaultValueFactory = _ => 2 };
        var output = new Option<FileInfo>("--out") { Description = "LM file; put it next to the model as <model>.charlm.", DefaultValueFactory = _ => new FileInfo("models/mtl-small.charlm") };
        var pool = new Option<bool>("--include-sentence-pool")
        {
            Description = "Also use the training pool of the corpus generator (SentenceSource sentences that are not held out): the text distribution train.jsonl was drawn from.",
            DefaultValueFactory = _ => true,
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the sentence pool (the corpus build seed).", DefaultValueFactory = _ => 1 };
        var extra = new Option<DirectoryInfo[]>("--extra-corpus")
        {
            Description = "More corpus folders whose train.jsonl text is added (imported real transcripts; never their valid/test).",
            AllowMultipleArgumentsPerToken = true,
        };

        var build = new Command("build", "Build a character n-gram LM (interpolated Witten-Bell, count-pruned) from training text.");
        foreach (var o in new Option[] { corpus, order, minCount, output, pool, seed, extra }) build.Options.Add(o);
        build.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger<LmCommand>();
            var text = await LmTrainingText.ReadAsync(parse.GetValue(corpus)!.FullName, parse.GetValue(pool), parse.GetValue(seed), ct).ConfigureAwait(false);
            foreach (var folder in parse.GetValue(extra) ?? [])
            {
                var more = await LmTrainingText.ReadAsync(folder.FullName, includeSentencePool: false, 0, ct).ConfigureAwait(false);
                text = new LmTrainingText([.. text.Sentences, .. more.Sentences], $"{text.Description} + {more.Description} of {folder.Name}");
            }
            var lm = CharNgramLm.Build(text.Sentences, new CharNgramLmBuildOptions
            {
                Order = parse.GetValue(order),
                MinCount = parse.GetValue(minCount),
                Description = text.Description,
            });
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            lm.Save(file.FullName);
            logger.LogInformation("Wrote {LmPath}: order {Order}, {Contexts} contexts, {Ngrams} n-grams, {Bytes} bytes from {Description}",
                file.FullName, lm.Order, lm.ContextCount, lm.NgramCount, new FileInfo(file.FullName).Length, text.Description);
            return 0;
        });

        var command = new Command("lm", "Language models for CTC decoding: character LM (build), word LM and lexicon (build-words, export-arpa), decoder tuning on dev data (tune).");
        command.Subcommands.Add(build);
        command.Subcommands.Add(BuildWords());
        command.Subcommands.Add(ExportArpa());
        command.Subcommands.Add(LmTuneCommand.Build());
        return command;
    }

    private static Command BuildWords()
    {
        var text = new Option<string[]>("--text")
        {
            Description = "Training text: a .txt file (one sentence a line), a train.jsonl (its \"text\" fields), or a folder (its train.jsonl if it is a corpus folder, else its *.txt). " +
                "PATH*N counts that text N times (weights small in-domain text against a large general one). Repeat or give several. valid/test manifests are refused.",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var order = new Option<int>("--order") { Description = $"N-gram order (1..{WordNgramLm.MaxOrder}).", DefaultValueFactory = _ => 4 };
        var prune = new Option<string>("--prune")
        {
            Description = "Count pruning per order, KenLM style: n-grams of order k seen at most the k-th number of times are dropped (first = unigrams, must be 0; the last repeats).",
            DefaultValueFactory = _ => "0,0,1",
        };
        var lexicon = new Option<FileInfo?>("--lexicon") { Description = "Pronunciation dictionary (cmudict.dict format: the word is the first field, (2) variants folded) whose words join the decoder's lexicon." };
        var output = new Option<FileInfo>("--out") { Description = "Word LM file; put it next to the model as <model>.wordlm.", DefaultValueFactory = _ => new FileInfo("models/mtl-small.wordlm") };
        var arpa = new Option<FileInfo?>("--arpa") { Description = "Also write the model as ARPA text here (KenLM, SRILM)." };
        var command = new Command("build-words", "Build a word n-gram LM (interpolated modified Kneser-Ney, count-pruned) and the decoder's lexicon from training text.");
        foreach (var o in new Option[] { text, order, prune, lexicon, output, arpa }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger<LmCommand>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var sentences = new List<string>();
            var sources = new List<string>();
            foreach (var source in parse.GetValue(text) ?? [])
            {
                var (path, times) = WordLmText.ParseWeighted(source);
                var read = new List<string>();
                await WordLmText.ReadAsync(path, read, ct).ConfigureAwait(false);
                for (var i = 0; i < times; i++) sentences.AddRange(read);
                sources.Add(times == 1 ? $"{read.Count} sentences of {path}" : $"{read.Count} sentences of {path} x{times}");
                logger.LogInformation("Read {Sentences} sentences from {Source}, counted {Times} times", read.Count, path, times);
            }
            var extra = parse.GetValue(lexicon) is { } lex ? WordLmText.ReadDictionaryWords(lex.FullName) : [];
            var lm = WordNgramLm.Build(sentences, new WordNgramLmBuildOptions
            {
                Order = parse.GetValue(order),
                Prune = [.. parse.GetValue(prune)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))],
                ExtraLexiconWords = extra,
                Description = string.Join(" + ", sources) + (parse.GetValue(lexicon) is { } l ? $"; lexicon + {l.Name}" : "") + $"; prune {parse.GetValue(prune)}",
            });
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            lm.Save(file.FullName);
            logger.LogInformation("Wrote {WordLmPath} in {Seconds:F0} s: order {Order}, {Words} words, n-grams {Ngrams}, {ExtraWords} more lexicon words, {Bytes} bytes",
                file.FullName, clock.Elapsed.TotalSeconds, lm.Order, lm.VocabularySize, string.Join("/", lm.NgramCounts), lm.ExtraLexiconWords.Count, file.Length);
            if (parse.GetValue(arpa) is { } arpaFile) WriteArpa(lm, arpaFile, logger);
            return 0;
        });
        return command;
    }

    private static Command ExportArpa()
    {
        var input = new Option<FileInfo>("--wordlm") { Description = "Word LM file (.wordlm).", DefaultValueFactory = _ => new FileInfo("models/mtl-small.wordlm") };
        var output = new Option<FileInfo>("--out") { Description = "ARPA file to write.", Required = true };
        var command = new Command("export-arpa", "Write a word LM as ARPA text (for KenLM, SRILM and other tools).");
        command.Options.Add(input);
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            using var logging = CliLogging.Create();
            WriteArpa(WordNgramLm.Load(parse.GetValue(input)!.FullName), parse.GetValue(output)!, logging.CreateLogger<LmCommand>());
            return 0;
        });
        return command;
    }

    private static void WriteArpa(WordNgramLm lm, FileInfo file, ILogger logger)
    {
        file.Directory?.Create();
        using (var writer = new StreamWriter(file.FullName)) lm.WriteArpa(writer);
        logger.LogInformation("Wrote ARPA {ArpaPath}: {Bytes} bytes", file.FullName, new FileInfo(file.FullName).Length);
    }
}

/// <summary>The LM's training text: a corpus's train.jsonl, optionally plus the generator's non-held-out sentence pool.</summary>
public sealed record LmTrainingText(IReadOnlyList<string> Sentences, string Description)
{
    public static async Task<LmTrainingText> ReadAsync(string corpusFolder, bool includeSentencePool, int seed, CancellationToken cancellationToken,
        SentenceSource? source = null)
    {
        var train = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpusFolder, "train.jsonl"), cancellationToken).ConfigureAwait(false);
        var sentences = new List<string>(train.Where(u => u.Text is not null).Select(u => u.Text!));
        var description = $"{sentences.Count} train.jsonl sentences";
        if (includeSentencePool)
        {
            source ??= new SentenceSource(seed);
            // Held-out sentences (valid/test) are excluded by the same hash the corpus builder splits on.
            var pool = source.Dialogue.Concat(source.General).Where(s => !SentenceSource.IsHeldOut(s)).ToArray();
            sentences.AddRange(pool);
            description += $" + {pool.Length} training-pool sentences (seed {seed})";
        }
        return new LmTrainingText(sentences, description);
    }
}

/// <summary>Training text of the word LM, normalised like scored transcripts (<see cref="Lexicon.NormalizePhrase"/>).</summary>
internal static class WordLmText
{
    /// <summary>"PATH*N" = PATH counted N times; a path without the suffix counts once.</summary>
    public static (string Path, int Times) ParseWeighted(string source)
    {
        var star = source.LastIndexOf('*');
        if (star > 0 && int.TryParse(source.AsSpan(star + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var times) && times >= 1)
            return (source[..star], times);
        return (source, 1);
    }

    public static async Task ReadAsync(string source, List<string> sentences, CancellationToken cancellationToken)
    {
        if (Directory.Exists(source))
        {
            var train = Path.Combine(source, "train.jsonl");
            if (File.Exists(train)) { await ReadAsync(train, sentences, cancellationToken).ConfigureAwait(false); return; }
            foreach (var txt in Directory.GetFiles(source, "*.txt").Order(StringComparer.Ordinal)) await ReadAsync(txt, sentences, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!File.Exists(source)) throw new FileNotFoundException($"Training text not found: {source}", source);
        var name = Path.GetFileName(source);
        if (name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            // Held-out manifests must never become LM text: they are what the decoder is tuned and measured on.
            if (name.StartsWith("valid", StringComparison.OrdinalIgnoreCase) || name.StartsWith("test", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"{source} is a held-out manifest; only train.jsonl text may train the LM.", nameof(source));
            foreach (var u in await ManifestIo.ReadLinesAsync<UtteranceEntry>(source, cancellationToken).ConfigureAwait(false))
                Add(u.Text, sentences);
            return;
        }
        await foreach (var line in File.ReadLinesAsync(source, cancellationToken).ConfigureAwait(false)) Add(line, sentences);
    }

    private static void Add(string? text, List<string> sentences)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        var normalized = Lexicon.NormalizePhrase(text);
        if (normalized.Length > 0) sentences.Add(normalized);
    }

    /// <summary>Words of a cmudict-style dictionary: first field of each entry, variants such as <c>word(2)</c> folded, comments skipped.</summary>
    public static IReadOnlyList<string> ReadDictionaryWords(string path)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith(";;;", StringComparison.Ordinal)) continue;
            var end = line.IndexOfAny([' ', '\t']);
            var word = end < 0 ? line : line[..end];
            var paren = word.IndexOf('(', StringComparison.Ordinal);
            if (paren > 0) word = word[..paren];
            word = word.ToLowerInvariant();
            if (word.Length > 0 && word.All(c => Lexicon.SymbolOf(c) >= 0) && word[0] != '\'' && word[^1] != '\'') words.Add(word);
        }
        return [.. words];
    }
}
