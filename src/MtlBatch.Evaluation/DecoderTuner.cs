using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Corpus;
using MtlBatch.Inference;
using MtlBatch.Inference.Ctc;

namespace MtlBatch.Evaluation;

/// <summary>One decoder configuration of a tuning grid.</summary>
public sealed record TuningPoint(int BeamWidth, TranscriptionOptions Transcription);

/// <summary>Scores of one configuration: pooled over all sets and per set.</summary>
public sealed record TuningResult(TuningPoint Point, string Decoder, double Wer, double Cer, double? WordAccuracy,
    IReadOnlyDictionary<string, double> WerBySet, double DecodeSeconds);

/// <summary>
/// Grid search of the decoder's weights and beam on development data: the acoustic model runs once per utterance, then every
/// configuration decodes the same log-probabilities (production <see cref="CtcPrefixBeamSearch"/> and scorers from
/// <see cref="MtlModelFactory.CreateScorer"/>). Test manifests are refused, so tuning can never see the numbers it is judged on.
/// </summary>
public sealed class DecoderTuner(MtlModelFactory factory, ILogger<DecoderTuner> logger)
{
    private sealed record Utterance(string Set, string Reference, float[] LogProbs, int Frames, int Vocab);

    public async Task<IReadOnlyList<TuningResult>> TuneAsync(IReadOnlyList<string> corpusFolders, string manifest, int maxUtterances,
        IReadOnlyList<TuningPoint> grid, CancellationToken cancellationToken)
    {
        if (Path.GetFileName(manifest).StartsWith("test", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Tuning on {manifest} is refused: tune on a development split (valid.jsonl), measure once on test.", nameof(manifest));
        var utterances = new List<Utterance>();
        var model = factory.Model;
        foreach (var folder in corpusFolders)
        {
            var set = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            var entries = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(folder, manifest), cancellationToken).ConfigureAwait(false);
            var take = 0;
            foreach (var u in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reference = ScoringText.Normalize(u.Text);
                if (reference.Length == 0) continue;
                if (maxUtterances > 0 && take++ >= maxUtterances) break;
                var (samples, rate, _) = WavReader.ReadAll(Path.Combine(folder, u.Audio));
                if (rate != model.Description.SampleRate) throw new InvalidDataException($"{u.Audio}: {rate} Hz, the model wants {model.Description.SampleRate}.");
                var frames = model.Run(samples, 1, samples.Length, cancellationToken)[0];
                utterances.Add(new Utterance(set, reference, frames.CharLogProbs, frames.CtcFrames, frames.CharVocab));
            }
            logger.LogInformation("Tuning set {Set}: {Utterances} transcribed utterances from {Manifest}", set, utterances.Count(u => u.Set == set), manifest);
        }

        var chars = model.Description.Chars;
        var results = new List<TuningResult>();
        foreach (var point in grid)
        {
            cancellationToken.ThrowIfCancellationRequested();
            point.Transcription.Validate();
            var scorer = factory.CreateScorer(point.Transcription);
            var search = new CtcPrefixBeamSearch(point.BeamWidth, point.Transcription.BeamPruneLogRatio, scorer);
            ErrorRate wer = new(), cer = new();
            var bySet = new Dictionary<string, ErrorRate>(StringComparer.Ordinal);
            int single = 0, singleRight = 0;
            var clock = Stopwatch.StartNew();
            foreach (var u in utterances)
            {
                var hypothesis = ScoringText.Normalize(ModelEvaluator.Detokenize(search.Decode(u.LogProbs, u.Frames, u.Vocab), chars));
                wer.AddWords(u.Reference, hypothesis);
                cer.AddChars(u.Reference, hypothesis);
                if (!bySet.TryGetValue(u.Set, out var setWer)) bySet[u.Set] = setWer = new ErrorRate();
                setWer.AddWords(u.Reference, hypothesis);
                if (ScoringText.WordCount(u.Reference) == 1) { single++; if (hypothesis == u.Reference) singleRight++; }
            }
            var result = new TuningResult(point, scorer?.Describe() ?? "no LM", wer.Value, cer.Value, single == 0 ? null : singleRight / (double)single,
                bySet.ToDictionary(kv => kv.Key, kv => kv.Value.Value), clock.Elapsed.TotalSeconds);
            results.Add(result);
            logger.LogInformation("Beam {Beam}, {Decoder}: WER {Wer:P2}, CER {Cer:P2}, word accuracy {WordAccuracy:P2}, {Seconds:F1} s",
                point.BeamWidth, result.Decoder, result.Wer, result.Cer, result.WordAccuracy, result.DecodeSeconds);
        }
        return results;
    }
}
