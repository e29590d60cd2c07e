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

        var command = new Command("lm", "Character language model for CTC decoding.");
        command.Subcommands.Add(build);
        return command;
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
