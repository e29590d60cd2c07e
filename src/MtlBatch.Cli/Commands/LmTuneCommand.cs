using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Evaluation;
using MtlBatch.Inference;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch lm tune</c>: grid search of the decoder weights and beam on development data (valid.jsonl; test manifests are
/// refused). The acoustic model runs once; every configuration decodes the same outputs. Repeat after retraining the model.
/// </summary>
internal static class LmTuneCommand
{
    public static Command Build()
    {
        var model = new Option<FileInfo?>("--model") { Description = "ONNX model (default: the bundled models/mtl-small.onnx); its .charlm and .wordlm siblings are loaded." };
        var set = new Option<string[]>("--set") { Description = "Corpus folder(s) to tune on (repeat or comma list).", Required = true };
        var manifest = new Option<string>("--manifest") { Description = "Development manifest inside each set (test manifests are refused).", DefaultValueFactory = _ => "valid.jsonl" };
        var limit = new Option<int>("--limit") { Description = "At most this many transcribed utterances per set (0 = all)." };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Cpu };
        var lm = new Option<string?>("--lm") { Description = "Character LM file, or off (default: <model>.charlm)." };
        var wordLm = new Option<string?>("--word-lm") { Description = "Word LM file, or off (default: <model>.wordlm)." };
        var vocabulary = new Option<FileInfo?>("--vocabulary") { Description = "Custom vocabulary file (as for analyze)." };
        Option<string> Grid(string name, string description, string defaults) => new(name) { Description = description + " (comma list).", DefaultValueFactory = _ => defaults };
        var beam = Grid("--beam", "Beam widths", "8");
        var lmWeight = Grid("--lm-weight", "Character LM weights (0 = no character LM)", Invariant(new TranscriptionOptions().LmWeight));
        var lmBonus = Grid("--lm-bonus", "Character LM bonuses per character", Invariant(new TranscriptionOptions().LmLengthBonus));
        var wordLmWeight = Grid("--word-lm-weight", "Word LM weights (0 = no word decoding)", Invariant(new TranscriptionOptions().WordLmWeight));
        var wordBonus = Grid("--word-bonus", "Word insertion bonuses", Invariant(new TranscriptionOptions().WordInsertionBonus));
        var oovPenalty = Grid("--oov-penalty", "Out-of-vocabulary penalties", Invariant(new TranscriptionOptions().OovPenalty));
        var both = Grid("--char-lm-on-words", "Score vocabulary words with the character LM too (false, true)", "false");
        var output = new Option<FileInfo?>("--out") { Description = "Write all results as JSON here." };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Write the result table here (it is printed either way)." };

        var command = new Command("tune", "Grid search of decoder weights and beam on development data (never test); prints WER per configuration, best first.");
        foreach (var o in new Option[] { model, set, manifest, limit, device, lm, wordLm, vocabulary, beam, lmWeight, lmBonus, wordLmWeight, wordBonus, oovPenalty, both, output, markdown })
            command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var modelPath = parse.GetValue(model)?.FullName ?? ModelLocator.FindDefault();
            using var factory = MtlModelFactory.FromPath(modelPath, new MtlModelOptions
            {
                Device = parse.GetValue(device), LanguageModelPath = parse.GetValue(lm), WordLanguageModelPath = parse.GetValue(wordLm),
            }, logging);
            var baseline = CliConfiguration.Bind<PostProcessingOptions>(PostProcessingOptions.SectionName).Transcription;
            var grid = new List<TuningPoint>();
            foreach (var b in Numbers(parse.GetValue(beam)))
            foreach (var a in Numbers(parse.GetValue(lmWeight)))
            foreach (var ab in Numbers(parse.GetValue(lmBonus)))
            foreach (var w in Numbers(parse.GetValue(wordLmWeight)))
            foreach (var wb in Numbers(parse.GetValue(wordBonus)))
            foreach (var oov in Numbers(parse.GetValue(oovPenalty)))
            foreach (var onWords in parse.GetValue(both)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(bool.Parse))
            {
                // Settings that do not apply to a configuration are not multiplied out (word settings without word decoding).
                if (w == 0 && (wb != Numbers(parse.GetValue(wordBonus))[0] || oov != Numbers(parse.GetValue(oovPenalty))[0] || onWords)) continue;
                grid.Add(new TuningPoint((int)b, new TranscriptionOptions
                {
                    WordGapSeconds = baseline.WordGapSeconds, MaxCarrySeconds = baseline.MaxCarrySeconds, BeamPruneLogRatio = baseline.BeamPruneLogRatio,
                    LmWeight = a, LmLengthBonus = ab, WordLmWeight = w, WordInsertionBonus = wb, OovPenalty = oov, CharLmOnVocabularyWords = onWords,
                    VocabularyPath = parse.GetValue(vocabulary)?.FullName, VocabularyBoost = baseline.VocabularyBoost,
                }));
            }
            var sets = parse.GetValue(set)!.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(Path.GetFullPath).ToArray();
            var tuner = new DecoderTuner(factory, logging.CreateLogger<DecoderTuner>());
            var results = await tuner.TuneAsync(sets, parse.GetValue(manifest)!, parse.GetValue(limit), grid, ct).ConfigureAwait(false);
            var table = Render(results, sets.Select(s => Path.GetFileName(Path.TrimEndingDirectorySeparator(s))).ToArray());
            Console.WriteLine(table);
            if (parse.GetValue(markdown) is { } md) await File.WriteAllTextAsync(md.FullName, table, ct).ConfigureAwait(false);
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, MtlJson.Serialize(results), ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static double[] Numbers(string? list) =>
        [.. (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    private static string Render(IReadOnlyList<TuningResult> results, IReadOnlyList<string> sets)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| beam | char LM weight / bonus | word LM weight | word bonus | OOV penalty | char LM on words | WER | CER | word accuracy | {string.Join(" | ", sets.Select(s => "WER " + s))} | decode s |");
        sb.AppendLine($"|{string.Concat(Enumerable.Repeat(" --- |", 11 + sets.Count))}");
        foreach (var r in results.OrderBy(r => r.Wer))
        {
            var t = r.Point.Transcription;
            var word = t.WordLmWeight == 0;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Point.BeamWidth} | {(t.LmWeight == 0 ? "off" : $"{t.LmWeight} / {t.LmLengthBonus}")} | {(word ? "off" : t.WordLmWeight)} | {(word ? "" : t.WordInsertionBonus)} | {(word ? "" : t.OovPenalty)} | {(word ? "" : t.CharLmOnVocabularyWords)} | {r.Wer:P1} | {r.Cer:P1} | {(r.WordAccuracy is { } a ? a.ToString("P1", CultureInfo.InvariantCulture) : "n/a")} | {string.Join(" | ", sets.Select(s => r.WerBySet.TryGetValue(s, out var v) ? v.ToString("P1", CultureInfo.InvariantCulture) : "n/a"))} | {r.DecodeSeconds:F1} |");
        }
        return sb.ToString();
    }
}
