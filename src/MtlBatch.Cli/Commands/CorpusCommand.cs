using System.CommandLine;
using Microsoft.Extensions.Logging;
using MtlBatch.Corpus;
using MtlBatch.Corpus.Import;
using MtlBatch.Corpus.Text;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch corpus build</c>: synthesise the multi-task training and evaluation corpus.</summary>
public sealed class CorpusCommand : ICliCommand
{
    public Command Build()
    {
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Folder to write the corpus to.", Required = true };
        var hours = new Option<double>("--hours") { Description = "Hours of training audio.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same corpus.", DefaultValueFactory = _ => 1 };
        var jobs = new Option<int>("--jobs") { Description = "Parallel synthesis jobs.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var valid = new Option<int>("--valid") { Description = "Validation utterances (training speakers, held-out sentences).", DefaultValueFactory = _ => 300 };
        var test = new Option<int>("--test") { Description = "Test utterances (held-out speakers and sentences).", DefaultValueFactory = _ => 600 };
        var conversations = new Option<int>("--conversations") { Description = "2-4 speaker conversations with references.", DefaultValueFactory = _ => 24 };
        var espeak = new Option<int>("--espeak-speakers") { Description = "espeak-ng identities (flite and festival add 16, RHVoice, MBROLA and Pico 204).", DefaultValueFactory = _ => 70 };

        var engines = new Option<SynthesisEngine[]>("--engines")
        {
            Description = "Only identities of these engines (rhvoice mbrola pico espeak flite festival; default all).", AllowMultipleArgumentsPerToken = true,
        };
        var textFolder = new Option<DirectoryInfo?>("--text") { Description = "Folder from 'mtlbatch corpus text': real dialogue sentences and turns instead of the templates." };
        var build = new Command("build", "Synthesise utterances and conversations with RHVoice, MBROLA, Pico, espeak-ng, flite and festival, with augmentation; resumes an interrupted build in the same folder.");
        foreach (var o in new Option[] { outOption, hours, seed, jobs, valid, test, conversations, espeak, textFolder, engines }) build.Options.Add(o);
        build.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var builder = new CorpusBuilder(logging.CreateLogger<CorpusBuilder>());
            var progress = new Progress<(string Stage, int Done, int Total)>(p => Console.Error.WriteLine($"{p.Stage}: {p.Done}/{p.Total}"));
            var summary = await builder.BuildAsync(new CorpusBuildOptions
            {
                OutputFolder = parse.GetValue(outOption)!.FullName,
                TrainHours = parse.GetValue(hours),
                Seed = parse.GetValue(seed),
                Jobs = parse.GetValue(jobs),
                ValidUtterances = parse.GetValue(valid),
                TestUtterances = parse.GetValue(test),
                Conversations = parse.GetValue(conversations),
                EspeakSpeakers = parse.GetValue(espeak),
                TextFolder = parse.GetValue(textFolder)?.FullName,
                Engines = parse.GetValue(engines) is { Length: > 0 } chosen ? chosen.ToHashSet() : null,
            }, progress, ct).ConfigureAwait(false);
            Console.WriteLine(summary);
            Console.WriteLine($"speed: {summary.SpeedFactor:F1} s of audio per second ({summary.SynthesizedHours * 3600:F0} s in {summary.Elapsed.TotalSeconds:F0} s, {summary.Resumed} items resumed)");
            return 0;
        });

        var sampleOut = new Option<DirectoryInfo>("--out") { Description = "Folder for conversation.wav and its reference.", Required = true };
        var sampleSeed = new Option<int>("--seed") { Description = "Seed (identities and prosody jitter).", DefaultValueFactory = _ => 1 };
        var sample = new Command("sample", "Synthesise the bundled demo conversation (held-out voices, emotion changes) with its reference.");
        sample.Options.Add(sampleOut);
        sample.Options.Add(sampleSeed);
        sample.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var entry = await new CorpusBuilder(logging.CreateLogger<CorpusBuilder>())
                .BuildSampleConversationAsync(parse.GetValue(sampleOut)!.FullName, parse.GetValue(sampleSeed), ct).ConfigureAwait(false);
            Console.WriteLine($"{entry.Audio}: {entry.Duration} s, {entry.Segments.Count} turns");
            return 0;
        });

        var sources = new Option<DirectoryInfo[]>("--source")
        {
            Description = "Dialogue text source: a folder or bare git directory of SGD, PriMock57, ACI-Bench, MTS-Dialog, Earnings-21/22 or nltk_data (Switchboard sample) (repeatable).",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var textOut = new Option<DirectoryInfo>("--out") { Description = "Folder for dialogues.jsonl, sentences-train.txt, sentences-heldout.txt, summary.json.", Required = true };
        var text = new Command("text", "Extract normalised sentences and dialogue turn sequences from public dialogue text (docs/corpus-v2.md).");
        text.Options.Add(sources);
        text.Options.Add(textOut);
        text.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var summaries = await new TextCorpusBuilder(logging.CreateLogger<TextCorpusBuilder>())
                .BuildAsync([.. parse.GetValue(sources)!.Select(d => d.FullName)], parse.GetValue(textOut)!.FullName, ct).ConfigureAwait(false);
            foreach (var (name, s) in summaries)
                Console.WriteLine($"{name}: {s.Dialogues} dialogues ({s.HeldOutDialogues} held out), {s.KeptSentences}/{s.Sentences} sentences kept");
            return 0;
        });

        var statsFolders = new Argument<DirectoryInfo[]>("folder") { Description = "Corpus folders (train/valid/test.jsonl, conversations.jsonl).", Arity = ArgumentArity.OneOrMore };
        var stats = new Command("stats", "Utterances, hours and speakers per engine or source and split, as the docs/corpus-v2.md table (markdown).");
        stats.Arguments.Add(statsFolders);
        stats.SetAction(async (parse, ct) =>
        {
            foreach (var folder in parse.GetValue(statsFolders)!)
                Console.WriteLine((await CorpusStatistics.ComputeAsync(folder.FullName, ct).ConfigureAwait(false)).ToMarkdown());
            return 0;
        });

        var command = new Command("corpus", "Build the synthetic training corpus and import real speech (docs/corpus-format.md).");
        command.Subcommands.Add(build);
        command.Subcommands.Add(sample);
        command.Subcommands.Add(text);
        command.Subcommands.Add(stats);
        command.Subcommands.Add(BuildImport());
        return command;
    }

    private static readonly Dictionary<string, ImportFormat> Formats = new(StringComparer.Ordinal)
    {
        ["wuw"] = ImportFormat.Wuw, ["speech-commands"] = ImportFormat.SpeechCommands, ["librispeech-speakers"] = ImportFormat.LibrispeechSpeakers,
        ["rttm"] = ImportFormat.Rttm, ["ljspeech"] = ImportFormat.Ljspeech, ["kaldi"] = ImportFormat.Kaldi, ["common-voice"] = ImportFormat.CommonVoice,
    };

    private static Command BuildImport()
    {
        var format = new Argument<string>("format") { Description = "wuw | speech-commands | librispeech-speakers | rttm | ljspeech | kaldi | common-voice" };
        format.AcceptOnlyFromAmong([.. Formats.Keys]);
        var source = new Argument<DirectoryInfo>("source") { Description = "A checkout of the source repository, a bare git directory of it, or a data folder." };
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Corpus folder to write.", Required = true };
        var jobs = new Option<int>("--jobs") { Description = "Parallel decode jobs.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var include = new Option<string[]>("--include") { Description = "rttm: only recordings whose name starts with these.", AllowMultipleArgumentsPerToken = true };
        var test = new Option<string[]>("--test") { Description = "rttm: recordings held out as test conversations.", AllowMultipleArgumentsPerToken = true };
        var split = new Option<string?>("--split") { Description = "kaldi, common-voice, ljspeech: put everything in this split (train|valid|test)." };
        split.AcceptOnlyFromAmong("train", "valid", "test");
        var crop = new Option<double>("--crop-seconds") { Description = "librispeech-speakers: crop length.", DefaultValueFactory = _ => 4.0 };
        var import = new Command("import", "Import real recordings into a corpus folder (16 kHz audio, labels, held-out split).");
        import.Arguments.Add(format);
        import.Arguments.Add(source);
        foreach (var o in new Option[] { outOption, jobs, include, test, split, crop }) import.Options.Add(o);
        import.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var tree = SourceTree.Open(parse.GetValue(source)!.FullName);
            var plan = await Importers.PlanAsync(Formats[parse.GetValue(format)!], tree, new ImportOptions
            {
                Include = parse.GetValue(include) ?? [], TestRecordings = parse.GetValue(test) ?? [],
                Split = parse.GetValue(split), CropSeconds = parse.GetValue(crop),
            }, ct).ConfigureAwait(false);
            var summary = await new CorpusImportWriter(new ProcessRunner(), logging.CreateLogger<CorpusImportWriter>())
                .WriteAsync(plan, tree, parse.GetValue(outOption)!.FullName, parse.GetValue(jobs), ct).ConfigureAwait(false);
            Console.WriteLine(summary);
            return summary.Splits.Values.Sum(s => s.Utterances) + summary.Conversations > 0 ? 0 : 1;
        });
        return import;
    }
}
