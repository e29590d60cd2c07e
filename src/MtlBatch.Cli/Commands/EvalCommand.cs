using System.CommandLine;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Evaluation;
using MtlBatch.Inference;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch eval</c>: score a model on a corpus through the production inference code.</summary>
public sealed class EvalCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<FileInfo?>("--model") { Description = "ONNX model (default: the bundled models/mtl-small.onnx)." };
        var set = new Option<string[]>("--set")
        {
            Description = "Corpus folder (docs/corpus-format.md); repeat it or give a comma list to score the union (one speaker EER over all their speakers).",
            Required = true,
        };
        var output = new Option<FileInfo?>("--out") { Description = "Write the report as JSON here." };
        var manifest = new Option<string>("--manifest") { Description = "Utterance manifest inside each set (or an absolute path: e.g. a subset of its lines).", DefaultValueFactory = _ => "test.jsonl" };
        var limit = new Option<int>("--limit") { Description = "At most this many utterances per set, the first ones (0 = all)." };
        var conversations = new Option<int>("--conversations") { Description = "At most this many conversations (0 = all)." };
        var beam = new Option<int>("--beam") { Description = "CTC beam width (1 = greedy).", DefaultValueFactory = _ => new AnalysisOptions().BeamWidth };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Auto };
        var lm = new Option<string?>("--lm") { Description = "Character LM file, or off (default: <model>.charlm next to the model when present)." };
        var lmWeight = new Option<double>("--lm-weight") { Description = "LM weight alpha (0 = off).", DefaultValueFactory = _ => new TranscriptionOptions().LmWeight };
        var lmBonus = new Option<double>("--lm-bonus") { Description = "LM length bonus beta per character.", DefaultValueFactory = _ => new TranscriptionOptions().LmLengthBonus };
        var noLmComparison = new Option<bool>("--no-lm-comparison") { Description = "With an LM, do not also decode without it (the *WithoutLm metrics stay null)." };
        var groupBy = new Option<string[]>("--group-by")
        {
            Description = $"Manifest fields to group by (repeat or comma list; pseudo-fields {ModelEvaluator.SetField}, {ModelEvaluator.WordsField}). " +
                $"Default: {string.Join(", ", new EvaluationOptions().GroupBy)}.",
        };
        var peer = new Option<string?>("--peer") { Description = $"Also run another recogniser on the same utterances: {string.Join(", ", AsrPeers.Names)}." };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Write the markdown tables here (they are printed either way)." };
        var decoding = new DecoderCliOptions();
        var hypotheses = new Option<FileInfo?>("--hypotheses") { Description = "Write one JSON line per transcribed utterance (reference, hypotheses, peer)." };

        var command = new Command("eval", "Evaluate a model: CER, WER, word accuracy, PER, speaker EER, emotion accuracy/F1, VAD F1, DER; per group, with and without the LM, beside a peer recogniser (docs/evaluation.md).");
        foreach (var o in new Option[] { model, set, output, manifest, limit, conversations, beam, device, lm, lmWeight, lmBonus, noLmComparison, groupBy, peer, markdown, hypotheses }.Concat(decoding.All)) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var modelPath = parse.GetValue(model)?.FullName ?? ModelLocator.FindDefault();
            using var factory = MtlModelFactory.FromPath(modelPath, new MtlModelOptions { Device = parse.GetValue(device), LanguageModelPath = parse.GetValue(lm), WordLanguageModelPath = parse.GetValue(decoding.WordLm) }, logging);
            var peerRunner = parse.GetValue(peer) is { } peerName
                ? AsrPeers.Create(peerName, logging, CliConfiguration.Bind<PocketSphinxOptions>(PocketSphinxOptions.SectionName))
                : null;
            var evaluator = new ModelEvaluator(factory, logging.CreateLogger<ModelEvaluator>(), peerRunner);
            var options = new EvaluationOptions
            {
                UtteranceManifest = parse.GetValue(manifest)!,
                MaxUtterances = parse.GetValue(limit),
                MaxConversations = parse.GetValue(conversations),
                BeamWidth = parse.GetValue(beam),
                LmWeight = parse.GetValue(lmWeight),
                LmLengthBonus = parse.GetValue(lmBonus),
                // Same environment binding as analyze (e.g. Analysis__PostProcessing__Diarization__DistanceThreshold=0.4).
                PostProcessing = CliConfiguration.Bind<PostProcessingOptions>(PostProcessingOptions.SectionName),
                CompareWithoutLm = !parse.GetValue(noLmComparison),
                HypothesesPath = parse.GetValue(hypotheses)?.FullName,
            };
            decoding.ApplyTo(parse, options.PostProcessing.Transcription);
            if (SplitList(parse.GetValue(groupBy)) is { Length: > 0 } fields)
            {
                options.GroupBy.Clear();
                foreach (var f in fields) options.GroupBy.Add(f);
            }
            var sets = SplitList(parse.GetValue(set)).Select(Path.GetFullPath).ToArray();
            var report = await evaluator.EvaluateAsync(sets, options, ct).ConfigureAwait(false);
            var tables = EvaluationMarkdown.Render(report);
            Console.WriteLine(tables);
            if (parse.GetValue(markdown) is { } md) await File.WriteAllTextAsync(md.FullName, tables, ct).ConfigureAwait(false);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, MtlJson.Serialize(report), ct).ConfigureAwait(false);
                Console.WriteLine($"report: {file.FullName}");
            }
            return 0;
        });
        return command;
    }

    private static string[] SplitList(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
