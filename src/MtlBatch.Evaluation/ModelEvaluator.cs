using MtlBatch.Audio;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Corpus;
using MtlBatch.Inference;
using MtlBatch.Inference.Ctc;

namespace MtlBatch.Evaluation;

public sealed class EvaluationOptions
{
    /// <summary>Evaluate at most this many utterances (0 = all).</summary>
    public int MaxUtterances { get; set; }
    /// <summary>Evaluate at most this many conversations (0 = all).</summary>
    public int MaxConversations { get; set; }
    /// <summary>Manifest with the utterances to score (test.jsonl: held-out speakers and sentences).</summary>
    public string UtteranceManifest { get; set; } = "test.jsonl";
    public int BeamWidth { get; set; } = 8;
    /// <summary>Character LM weight (alpha) when the factory loaded an LM; 0 = acoustic only.</summary>
    public double LmWeight { get; set; } = new TranscriptionOptions().LmWeight;
    /// <summary>Character LM length bonus (beta).</summary>
    public double LmLengthBonus { get; set; } = new TranscriptionOptions().LmLengthBonus;
    public double DerCollarSeconds { get; set; } = 0.25;
    /// <summary>Post-processing for the conversations (diarization, VAD, emotion); its LM settings are replaced by the two above.</summary>
    public PostProcessingOptions PostProcessing { get; set; } = new();
}

/// <summary>The evaluation table (written as JSON by <c>mtlbatch eval</c>).</summary>
public sealed record EvaluationReport
{
    public required string Model { get; init; }
    public required string ModelVersion { get; init; }
    public required string Set { get; init; }
    public required int Utterances { get; init; }
    public required double UtteranceHours { get; init; }
    public required double Cer { get; init; }
    public required double Wer { get; init; }
    public required double Per { get; init; }
    public required double SpeakerEer { get; init; }
    public required double EmotionAccuracy { get; init; }
    public required double EmotionMacroF1 { get; init; }
    public required IReadOnlyDictionary<string, double> EmotionF1 { get; init; }
    public required double VadF1 { get; init; }
    public required int Conversations { get; init; }
    public required double ConversationWer { get; init; }
    public required double Der { get; init; }
    public required double DerMissed { get; init; }
    public required double DerFalseAlarm { get; init; }
    public required double DerConfusion { get; init; }
    public required double SpeakerCountAccuracy { get; init; }
    public required double EmotionTimelineAccuracy { get; init; }
    public required double ModelRealtimeFactor { get; init; }
    public required string Device { get; init; }
}

/// <summary>
/// Scores a model on a corpus folder (docs/corpus-format.md) through the production inference code:
/// <see cref="MtlModel"/> for utterance-level metrics and <see cref="SpeechAnalyzer"/> for conversations.
/// </summary>
public sealed class ModelEvaluator(MtlModelFactory factory, ILogger<ModelEvaluator> logger)
{
    public async Task<EvaluationReport> EvaluateAsync(string corpusFolder, EvaluationOptions options, CancellationToken cancellationToken)
    {
        var model = factory.Model;
        var d = model.Description;
        var utterances = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpusFolder, options.UtteranceManifest), cancellationToken).ConfigureAwait(false);
        if (options.MaxUtterances > 0) utterances = [.. utterances.Take(options.MaxUtterances)];

        var cer = new ErrorRate(); var wer = new ErrorRate(); var per = new ErrorRate();
        var emotions = new ConfusionMatrix(d.Emotions);
        var vad = new BinaryF1();
        var embeddings = new List<(string Speaker, float[] Vector)>();
        var fusion = factory.LanguageModel is { } lm && options.LmWeight != 0 ? new CtcLmFusion(lm, d.Chars, options.LmWeight, options.LmLengthBonus) : null;
        var beam = new CtcPrefixBeamSearch(options.BeamWidth, lm: fusion);
        logger.LogInformation("Decoding with beam {Beam}, character LM {Lm} (weight {LmWeight}, bonus {LmBonus})",
            options.BeamWidth, fusion is null ? "off" : "on", options.LmWeight, options.LmLengthBonus);
        double audioSeconds = 0, modelSeconds = 0;
        foreach (var u in utterances)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (samples, rate, _) = WavReader.ReadAll(Path.Combine(corpusFolder, u.Audio));
            if (rate != d.SampleRate) throw new InvalidDataException($"{u.Audio}: {rate} Hz, the model wants {d.SampleRate}.");
            var clock = Stopwatch.StartNew();
            var frames = model.Run(samples, 1, samples.Length, cancellationToken)[0];
            modelSeconds += clock.Elapsed.TotalSeconds;
            audioSeconds += samples.Length / (double)d.SampleRate;

            if (u.Text is not null)
            {
                var hyp = Detokenize(beam.Decode(frames.CharLogProbs, frames.CtcFrames, frames.CharVocab), d.Chars);
                cer.AddChars(u.Text, hyp);
                wer.AddWords(u.Text, hyp);
            }
            if (u.Phonemes is not null)
            {
                var phones = CtcPrefixBeamSearch.Greedy(frames.PhoneLogProbs, frames.CtcFrames, frames.PhoneVocab).Select(i => d.Phonemes[i]).ToArray();
                per.Add(u.Phonemes.ToArray(), phones);
            }
            if (u.Emotion is not null) emotions.Add(u.Emotion, d.Emotions[ArgMax(MeanRows(frames.EmotionLogits, frames.Frames, frames.EmotionCount))]);
            if (u.Vad is not null)
                for (var j = 0; j < frames.Frames; j++)
                {
                    var t = j * d.FrameShift;
                    vad.Add(u.Vad.Any(v => t >= v[0] && t < v[1]), frames.VadLogits[j] > 0);
                }
            if (u.Speaker is not null) embeddings.Add((u.Speaker, Normalize(MeanRows(frames.SpeakerFrames, frames.Frames, frames.SpeakerDim))));
        }

        var genuine = new List<double>(); var impostor = new List<double>();
        for (var i = 0; i < embeddings.Count; i++)
            for (var j = i + 1; j < embeddings.Count; j++)
                (embeddings[i].Speaker == embeddings[j].Speaker ? genuine : impostor).Add(Dot(embeddings[i].Vector, embeddings[j].Vector));
        var eer = genuine.Count > 0 && impostor.Count > 0 ? EqualErrorRate.Compute(genuine, impostor) : double.NaN;
        logger.LogInformation("Utterances: {Count}, CER {Cer:P2}, WER {Wer:P2}, PER {Per:P2}, EER {Eer:P2}, emotion accuracy {Emotion:P2}, VAD F1 {Vad:F3}",
            utterances.Count, cer.Value, wer.Value, per.Value, eer, emotions.Accuracy, vad.F1);

        var conv = await EvaluateConversationsAsync(corpusFolder, options, cancellationToken).ConfigureAwait(false);
        return new EvaluationReport
        {
            Model = d.Name, ModelVersion = d.Version, Set = Path.GetFullPath(corpusFolder),
            Utterances = utterances.Count, UtteranceHours = audioSeconds / 3600,
            Cer = cer.Value, Wer = wer.Value, Per = per.Value, SpeakerEer = eer,
            EmotionAccuracy = emotions.Accuracy, EmotionMacroF1 = emotions.MacroF1,
            EmotionF1 = d.Emotions.ToDictionary(l => l, emotions.F1),
            VadF1 = vad.F1,
            Conversations = conv.Count, ConversationWer = conv.Wer, Der = conv.Der.Der, DerMissed = conv.Der.Missed,
            DerFalseAlarm = conv.Der.FalseAlarm, DerConfusion = conv.Der.Confusion, SpeakerCountAccuracy = conv.SpeakerCountAccuracy,
            EmotionTimelineAccuracy = conv.EmotionTimelineAccuracy,
            ModelRealtimeFactor = modelSeconds > 0 ? audioSeconds / modelSeconds : 0,
            Device = model.Device,
        };
    }

    private sealed record ConversationScores(int Count, double Wer, DerBreakdown Der, double SpeakerCountAccuracy, double EmotionTimelineAccuracy);

    private async Task<ConversationScores> EvaluateConversationsAsync(string corpusFolder, EvaluationOptions options, CancellationToken ct)
    {
        var path = Path.Combine(corpusFolder, "conversations.jsonl");
        if (!File.Exists(path)) return new ConversationScores(0, double.NaN, new DerBreakdown(double.NaN, 0, 0, 0, 0), double.NaN, double.NaN);
        var conversations = await ManifestIo.ReadLinesAsync<ConversationEntry>(path, ct).ConfigureAwait(false);
        if (options.MaxConversations > 0) conversations = [.. conversations.Take(options.MaxConversations)];
        options.PostProcessing.Transcription.LmWeight = options.LmWeight;
        options.PostProcessing.Transcription.LmLengthBonus = options.LmLengthBonus;
        var analyzer = factory.CreateAnalyzer(options.PostProcessing);
        var wer = new ErrorRate();
        double missed = 0, falseAlarm = 0, confusion = 0, scored = 0;
        int countCorrect = 0; long emotionFrames = 0, emotionCorrect = 0;
        foreach (var c in conversations)
        {
            var (samples, _, _) = WavReader.ReadAll(Path.Combine(corpusFolder, c.Audio));
            var result = await AnalyzeAsync(analyzer, samples, c.Id, ct).ConfigureAwait(false);
            var reference = string.Join(' ', c.Segments.OrderBy(s => s.Start).Select(s => s.Text));
            wer.AddWords(reference, result.Transcript.Text);
            var der = DiarizationErrorRate.Compute(
                [.. c.Segments.Select(s => new LabeledSpan(s.Speaker, s.Start, s.End))],
                [.. result.Turns.Select(t => new LabeledSpan(t.Speaker, t.Start, t.End))], options.DerCollarSeconds);
            missed += der.Missed * der.ScoredSeconds; falseAlarm += der.FalseAlarm * der.ScoredSeconds;
            confusion += der.Confusion * der.ScoredSeconds; scored += der.ScoredSeconds;
            if (result.Speakers.Count == c.Segments.Select(s => s.Speaker).Distinct().Count()) countCorrect++;
            // Emotion timeline: on a 0.1 s grid over reference speech without cross-talk, does the timeline's label match?
            for (var t = 0.0; t < c.Duration; t += 0.1)
            {
                var active = c.Segments.Where(s => t >= s.Start && t < s.End).ToArray();
                if (active.Length != 1) continue;
                var segment = result.Emotions.Timeline.FirstOrDefault(e => t >= e.Start && t < e.End);
                emotionFrames++;
                if (segment?.Label == active[0].Emotion) emotionCorrect++;
            }
            logger.LogInformation("Conversation {Id}: {Speakers} speakers (reference {Reference}), DER {Der:P1}, words {Words}",
                c.Id, result.Speakers.Count, c.Segments.Select(s => s.Speaker).Distinct().Count(), der.Der, result.Transcript.Words.Count);
        }
        var total = scored == 0 ? 1 : scored;
        return new ConversationScores(conversations.Count, wer.Value,
            new DerBreakdown((missed + falseAlarm + confusion) / total, missed / total, falseAlarm / total, confusion / total, scored),
            conversations.Count == 0 ? double.NaN : countCorrect / (double)conversations.Count,
            emotionFrames == 0 ? double.NaN : emotionCorrect / (double)emotionFrames);
    }

    private static Task<AnalysisResult> AnalyzeAsync(SpeechAnalyzer analyzer, float[] samples, string name, CancellationToken ct)
    {
        var recording = new RecordingInfo { Name = name, DurationSeconds = samples.Length / 16000.0, SampleRate = 16000, Channels = 1, Sha256 = "" };
        return analyzer.AnalyzeAsync(Blocks(samples), recording, new AnalysisOptions { MinSpeakers = 1, MaxSpeakers = 6 }, null, ct);
    }

    private static async IAsyncEnumerable<float[]> Blocks(float[] samples)
    {
        for (var i = 0; i < samples.Length; i += 16000) yield return samples[i..Math.Min(samples.Length, i + 16000)];
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static string Detokenize(IEnumerable<int> ids, IReadOnlyList<string> chars) =>
        string.Join(' ', string.Concat(ids.Select(i => chars[i])).Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static float[] MeanRows(float[] data, int rows, int columns)
    {
        var mean = new float[columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) mean[c] += data[r * columns + c];
        for (var c = 0; c < columns; c++) mean[c] /= Math.Max(1, rows);
        return mean;
    }

    private static float[] Normalize(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm > 0 ? [.. v.Select(x => x / norm)] : v;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static int ArgMax(float[] v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
