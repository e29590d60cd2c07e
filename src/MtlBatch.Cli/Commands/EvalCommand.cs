using System.CommandLine;
using System.Globalization;
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
        var set = new Option<DirectoryInfo>("--set") { Description = "Corpus folder (docs/corpus-format.md).", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "Write the report as JSON here." };
        var manifest = new Option<string>("--manifest") { Description = "Utterance manifest inside the set.", DefaultValueFactory = _ => "test.jsonl" };
        var limit = new Option<int>("--limit") { Description = "At most this many utterances (0 = all)." };
        var conversations = new Option<int>("--conversations") { Description = "At most this many conversations (0 = all)." };
        var beam = new Option<int>("--beam") { Description = "CTC beam width (1 = greedy).", DefaultValueFactory = _ => 8 };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Auto };
        var lm = new Option<string?>("--lm") { Description = "Character LM file, or off (default: <model>.charlm next to the model when present)." };
        var lmWeight = new Option<double>("--lm-weight") { Description = "LM weight alpha (0 = off).", DefaultValueFactory = _ => new TranscriptionOptions().LmWeight };
        var lmBonus = new Option<double>("--lm-bonus") { Description = "LM length bonus beta per character.", DefaultValueFactory = _ => new TranscriptionOptions().LmLengthBonus };

        var command = new Command("eval", "Evaluate a model: CER, WER, PER, speaker EER, emotion accuracy/F1, VAD F1, DER.");
        foreach (var o in new Option[] { model, set, output, manifest, limit, conversations, beam, device, lm, lmWeight, lmBonus }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var modelPath = parse.GetValue(model)?.FullName ?? ModelLocator.FindDefault();
            using var factory = MtlModelFactory.FromPath(modelPath, new MtlModelOptions { Device = parse.GetValue(device), LanguageModelPath = parse.GetValue(lm) }, logging);
            var evaluator = new ModelEvaluator(factory, logging.CreateLogger<ModelEvaluator>());
            var report = await evaluator.EvaluateAsync(parse.GetValue(set)!.FullName, new EvaluationOptions
            {
                UtteranceManifest = parse.GetValue(manifest)!,
                MaxUtterances = parse.GetValue(limit),
                MaxConversations = parse.GetValue(conversations),
                BeamWidth = parse.GetValue(beam),
                LmWeight = parse.GetValue(lmWeight),
                LmLengthBonus = parse.GetValue(lmBonus),
                // Same environment binding as analyze (e.g. Analysis__PostProcessing__Diarization__DistanceThreshold=0.4).
                PostProcessing = CliConfiguration.Bind<PostProcessingOptions>(PostProcessingOptions.SectionName),
            }, ct).ConfigureAwait(false);
            Print(report);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, MtlJson.Serialize(report), ct).ConfigureAwait(false);
                Console.WriteLine($"report: {file.FullName}");
            }
            return 0;
        });
        return command;
    }

    private static void Print(EvaluationReport r)
    {
        static string P(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
        var rows = new (string Metric, string Value)[]
        {
            ("utterances (hours)", $"{r.Utterances} ({r.UtteranceHours.ToString("0.00", CultureInfo.InvariantCulture)} h)"),
            ("CER", P(r.Cer)), ("WER", P(r.Wer)), ("PER", P(r.Per)), ("speaker EER", P(r.SpeakerEer)),
            ("emotion accuracy", P(r.EmotionAccuracy)), ("emotion macro-F1", P(r.EmotionMacroF1)),
            ("VAD F1", r.VadF1.ToString("0.000", CultureInfo.InvariantCulture)),
            ("conversations", r.Conversations.ToString(CultureInfo.InvariantCulture)),
            ("conversation WER", P(r.ConversationWer)),
            ("DER (collar 0.25 s)", $"{P(r.Der)} (miss {P(r.DerMissed)}, FA {P(r.DerFalseAlarm)}, confusion {P(r.DerConfusion)})"),
            ("speaker count correct", P(r.SpeakerCountAccuracy)),
            ("emotion timeline accuracy", P(r.EmotionTimelineAccuracy)),
            ("model-only speed", $"{r.ModelRealtimeFactor.ToString("0", CultureInfo.InvariantCulture)}x realtime on {r.Device}"),
        };
        Console.WriteLine($"| metric ({r.Model} {r.ModelVersion}) | value |");
        Console.WriteLine("| --- | --- |");
        foreach (var (m, v) in rows) Console.WriteLine($"| {m} | {v} |");
    }
}
