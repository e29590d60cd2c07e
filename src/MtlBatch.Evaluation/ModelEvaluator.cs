using MtlBatch.Audio;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Corpus;
using MtlBatch.Inference;
using MtlBatch.Inference.Processing;
using MtlBatch.Inference.Ctc;

namespace MtlBatch.Evaluation;

public sealed class EvaluationOptions
{
    /// <summary>Evaluate at most this many utterances of each set, the first ones (0 = all).</summary>
    public int MaxUtterances { get; set; }
    /// <summary>Evaluate at most this many conversations (0 = all).</summary>
    public int MaxConversations { get; set; }
    /// <summary>Manifest with the utterances to score (test.jsonl: held-out speakers and sentences).</summary>
    public string UtteranceManifest { get; set; } = "test.jsonl";
    public int BeamWidth { get; set; } = new AnalysisOptions().BeamWidth;
    /// <summary>Character LM weight (alpha) when the factory loaded an LM; 0 = acoustic only.</summary>
    public double LmWeight { get; set; } = new TranscriptionOptions().LmWeight;
    /// <summary>Character LM length bonus (beta).</summary>
    public double LmLengthBonus { get; set; } = new TranscriptionOptions().LmLengthBonus;
    public double DerCollarSeconds { get; set; } = 0.25;
    /// <summary>Post-processing for the conversations (diarization, VAD, emotion); its LM settings are replaced by the two above.</summary>
    public PostProcessingOptions PostProcessing { get; set; } = new();
    /// <summary>With an LM: also decode every utterance without it (same beam) and report both (the acoustic model costs nothing extra).</summary>
    public bool CompareWithoutLm { get; set; } = true;
    /// <summary>
    /// Manifest fields (plus the pseudo-fields <c>set</c> and <c>words</c>), optionally with named value ranges
    /// (<see cref="GroupSpec"/>), whose values form the reported groups;
    /// a field is reported only when its values split the utterances into at least two groups.
    /// </summary>
    public IList<string> GroupBy { get; } = [ModelEvaluator.SetField, "source", "utterance", WuwPromptKinds, "phone", ModelEvaluator.WordsField];

    /// <summary>WUW prompts: 001-005 are wake-up keywords, 006-010 spontaneous sentences (see <see cref="GroupSpec"/>).</summary>
    public const string WuwPromptKinds = "utterance:keywords=001..005;spontaneous=006..010";
    /// <summary>At most this many impostor trials for the speaker EER (an even, deterministic sample of all pairs); genuine pairs are all kept.</summary>
    public int MaxImpostorTrials { get; set; } = 2_000_000;
    /// <summary>When set, one JSON line per transcribed utterance: reference, hypothesis with and without LM, peer.</summary>
    public string? HypothesesPath { get; set; }
}

/// <summary>
/// Scores a model on a corpus folder (docs/corpus-format.md) through the production inference code:
/// <see cref="MtlModel"/> for utterance-level metrics and <see cref="SpeechAnalyzer"/> for conversations.
/// </summary>
public sealed class ModelEvaluator(MtlModelFactory factory, ILogger<ModelEvaluator> logger, IAsrPeer? peer = null)
{
    /// <summary>Pseudo-field: the corpus folder's name (grouped when several sets are evaluated together).</summary>
    public const string SetField = "set";
    /// <summary>Pseudo-field: "one" for single-word references, "several" for longer ones.</summary>
    public const string WordsField = "words";
    private const string Absent = "(absent)";
    private static readonly JsonSerializerOptions HypothesisLine = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Task<EvaluationReport> EvaluateAsync(string corpusFolder, EvaluationOptions options, CancellationToken cancellationToken) =>
        EvaluateAsync([corpusFolder], options, cancellationToken);

    /// <summary>Scores the union of several corpus folders: one EER over all their speakers, groups per set and per manifest field.</summary>
    public async Task<EvaluationReport> EvaluateAsync(IReadOnlyList<string> corpusFolders, EvaluationOptions options, CancellationToken cancellationToken)
    {
        if (corpusFolders.Count == 0) throw new ArgumentException("At least one corpus folder.", nameof(corpusFolders));
        var model = factory.Model;
        var d = model.Description;
        var transcription = options.PostProcessing.Transcription;
        transcription.LmWeight = options.LmWeight;
        transcription.LmLengthBonus = options.LmLengthBonus;
        transcription.Validate();
        var fusion = factory.CreateScorer(transcription);
        var decoders = new Decoders(new CtcPrefixBeamSearch(options.BeamWidth, transcription.BeamPruneLogRatio, fusion),
            fusion is not null && options.CompareWithoutLm ? new CtcPrefixBeamSearch(options.BeamWidth, transcription.BeamPruneLogRatio) : null,
            transcription);
        var lmDescription = fusion switch
        {
            null => "off",
            CtcLmFusion => $"on (weight {options.LmWeight.ToString(CultureInfo.InvariantCulture)}, bonus {options.LmLengthBonus.ToString(CultureInfo.InvariantCulture)})",
            _ => $"on ({fusion.Describe()})",
        };
        logger.LogInformation("Decoding with beam {Beam}, language model {Lm}, also without LM {WithoutLm}, peer {Peer}",
            options.BeamWidth, lmDescription, decoders.WithoutLm is not null, peer?.Name ?? "none");
        SubsetScores NewScores() => new(d.Emotions, peer?.Name, decoders.WithoutLm is not null, options.MaxImpostorTrials);

        var groupSpecs = options.GroupBy.Select(GroupSpec.Parse).ToArray();
        var totals = NewScores();
        var groups = new SortedDictionary<(string Field, string Value), SubsetScores>();
        var fieldValues = new Dictionary<string, HashSet<string>>();
        var skippedEmotions = new SortedSet<string>(StringComparer.Ordinal);
        using var hypotheses = options.HypothesesPath is { } hypothesesPath ? new StreamWriter(hypothesesPath) : null;
        double audioSeconds = 0, modelSeconds = 0;
        var count = 0;
        foreach (var folder in corpusFolders)
        {
            var manifestPath = Path.Combine(folder, options.UtteranceManifest);
            var utterances = await ManifestIo.ReadLinesAsync<UtteranceEntry>(manifestPath, cancellationToken).ConfigureAwait(false);
            // The same lines again as plain fields: real corpora carry metadata (source, utterance, phone) the entry type does not name.
            var fields = await ManifestIo.ReadLinesAsync<Dictionary<string, JsonElement>>(manifestPath, cancellationToken).ConfigureAwait(false);
            var setName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            var take = options.MaxUtterances > 0 ? Math.Min(utterances.Count, options.MaxUtterances) : utterances.Count;
            logger.LogInformation("Set {Set}: {Utterances} of {Total} utterances from {Manifest}", setName, take, utterances.Count, manifestPath);
            for (var n = 0; n < take; n++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var u = utterances[n];
                var outcome = await ScoreAsync(folder, setName, u, decoders, skippedEmotions, cancellationToken).ConfigureAwait(false);
                audioSeconds += outcome.Seconds;
                modelSeconds += outcome.ModelSeconds;
                totals.Add(outcome);
                foreach (var key in GroupKeys(groupSpecs, fields[n], setName, outcome.Reference))
                {
                    if (!groups.TryGetValue(key, out var scores)) groups[key] = scores = NewScores();
                    scores.Add(outcome);
                    if (!fieldValues.TryGetValue(key.Field, out var values)) fieldValues[key.Field] = values = [];
                    values.Add(key.Value);
                }
                if (hypotheses is not null && outcome.Reference is not null)
                    await hypotheses.WriteLineAsync(JsonSerializer.Serialize(new { set = setName, id = u.Id, reference = outcome.Reference, hypothesis = outcome.Hypothesis, hypothesisWithoutLm = outcome.HypothesisWithoutLm, peer = outcome.PeerHypothesis, confidences = outcome.HypothesisWords?.Select(w => Math.Round(w.Confidence, 4)) }, HypothesisLine).AsMemory(), cancellationToken).ConfigureAwait(false);
                if (++count % 200 == 0) logger.LogInformation("Evaluated {Count} utterances", count);
            }
        }
        if (skippedEmotions.Count > 0)
            logger.LogWarning("Emotion labels outside the model's inventory were not scored: {Labels}", string.Join(", ", skippedEmotions));

        var metrics = totals.ToMetrics();
        logger.LogInformation("Utterances: {Count}, CER {Cer:P2}, WER {Wer:P2} (without LM {WerWithoutLm:P2}), word accuracy {WordAccuracy:P2}, PER {Per:P2}, EER {Eer:P2} over {Speakers} speakers, emotion accuracy {Emotion:P2}, VAD F1 {Vad:F3}, peer WER {PeerWer:P2}",
            metrics.Utterances, metrics.Cer, metrics.Wer, metrics.WerWithoutLm, metrics.WordAccuracy, metrics.Per, metrics.SpeakerEer, metrics.Speakers,
            metrics.EmotionAccuracy, metrics.VadF1, metrics.Peer?.Wer);

        var conv = new ConversationScores();
        foreach (var folder in corpusFolders) await EvaluateConversationsAsync(folder, options, conv, cancellationToken).ConfigureAwait(false);
        var der = conv.Der();
        return new EvaluationReport(metrics)
        {
            Model = d.Name, ModelVersion = d.Version, Set = string.Join(",", corpusFolders.Select(Path.GetFullPath)), LanguageModel = lmDescription,
            // A field is reported when its values split the utterances into at least two groups.
            Groups = [.. groups.Where(g => fieldValues[g.Key.Field].Count > 1).Select(g => new GroupMetrics(g.Key.Field, g.Key.Value, g.Value.ToMetrics()))],
            Conversations = conv.Count, TranscribedConversations = conv.Transcribed, ConversationWer = conv.Transcribed == 0 ? null : conv.Wer.Value,
            Der = der?.Der, DerMissed = der?.Missed, DerFalseAlarm = der?.FalseAlarm, DerConfusion = der?.Confusion, DerOverlapFloor = der?.OverlapFloor,
            SpeakerCountAccuracy = conv.Count == 0 ? null : conv.CountCorrect / (double)conv.Count,
            EmotionConversations = conv.WithEmotion,
            EmotionTimelineAccuracy = conv.EmotionFrames == 0 ? null : conv.EmotionCorrect / (double)conv.EmotionFrames,
            ModelRealtimeFactor = modelSeconds > 0 ? audioSeconds / modelSeconds : null,
            Device = model.Device,
        };
    }

    private sealed record Decoders(CtcPrefixBeamSearch WithLm, CtcPrefixBeamSearch? WithoutLm, TranscriptionOptions Transcription);

    /// <summary>Runs the model (and the peer) on one utterance and collects what each metric needs.</summary>
    private async Task<UtteranceOutcome> ScoreAsync(
        string folder, string setName, UtteranceEntry u, Decoders decoders, ISet<string> skippedEmotions, CancellationToken cancellationToken)
    {
        var wavPath = Path.Combine(folder, u.Audio);
        var model = factory.Model;
        var d = model.Description;
        var (samples, rate, _) = WavReader.ReadAll(wavPath);
        if (rate != d.SampleRate) throw new InvalidDataException($"{u.Audio}: {rate} Hz, the model wants {d.SampleRate}.");
        var clock = Stopwatch.StartNew();
        var frames = model.Run(samples, 1, samples.Length, cancellationToken)[0];
        var modelSeconds = clock.Elapsed.TotalSeconds;
        var seconds = samples.Length / (double)d.SampleRate;

        var reference = ScoringText.Normalize(u.Text);
        string? hypothesis = null, withoutLm = null, peerHypothesis = null;
        IReadOnlyList<(string Word, double Confidence)>? hypothesisWords = null;
        var peerSeconds = 0.0;
        if (reference.Length > 0)
        {
            // The production decoder (words, times, confidences) on the whole utterance, as analyze would decode a short recording.
            var words = new StreamingWordDecoder(d.Chars, d.CtcFrameShift, decoders.WithLm.BeamWidth, decoders.Transcription,
                languageModel: decoders.WithLm.LanguageModel);
            words.Push(frames.CharLogProbs, frames.CtcFrames, isLast: true);
            hypothesisWords = [.. words.Words.Select(w => (ScoringText.Normalize(w.Text), w.Confidence)).Where(w => w.Item1.Length > 0)];
            hypothesis = string.Join(' ', hypothesisWords.Select(w => w.Word));
            if (decoders.WithoutLm is { } acoustic)
                withoutLm = ScoringText.Normalize(Detokenize(acoustic.Decode(frames.CharLogProbs, frames.CtcFrames, frames.CharVocab), d.Chars));
            if (peer is not null)
            {
                var peerClock = Stopwatch.StartNew();
                peerHypothesis = ScoringText.Normalize(await peer.TranscribeAsync(wavPath, cancellationToken).ConfigureAwait(false));
                peerSeconds = peerClock.Elapsed.TotalSeconds;
            }
        }
        var emotion = string.IsNullOrEmpty(u.Emotion) ? null : u.Emotion;
        if (emotion is not null && !d.Emotions.Contains(emotion))
        {
            skippedEmotions.Add(emotion);
            emotion = null;
        }
        var hasSpeech = u.Vad is null || u.Vad.Count > 0;
        return new UtteranceOutcome
        {
            SpeakerKey = setName + "/" + u.Speaker,
            Seconds = seconds,
            ModelSeconds = modelSeconds,
            Reference = reference.Length > 0 ? reference : null,
            Hypothesis = hypothesis, HypothesisWords = hypothesisWords, HypothesisWithoutLm = withoutLm, PeerHypothesis = peerHypothesis, PeerSeconds = peerSeconds,
            ReferencePhones = u.Phonemes,
            Phones = u.Phonemes is null ? null
                : [.. CtcPrefixBeamSearch.Greedy(frames.PhoneLogProbs, frames.CtcFrames, frames.PhoneVocab).Select(i => d.Phonemes[i])],
            Emotion = emotion is null ? null : (emotion, d.Emotions[ArgMax(MeanRows(frames.EmotionLogits, frames.Frames, frames.EmotionCount))]),
            Vad = u.Vad is null ? null : FrameVad(u.Vad, frames, d.FrameShift),
            Embedding = string.IsNullOrEmpty(u.Speaker) || !hasSpeech ? null : Normalize(MeanRows(frames.SpeakerFrames, frames.Frames, frames.SpeakerDim)),
        };
    }

    private static IEnumerable<(string Field, string Value)> GroupKeys(IEnumerable<GroupSpec> groupBy, Dictionary<string, JsonElement> line, string setName, string? reference)
    {
        foreach (var spec in groupBy)
        {
            if (spec.Field == SetField) yield return (spec.Name, spec.Classify(setName));
            else if (spec.Field == WordsField) { if (reference is not null) yield return (spec.Name, ScoringText.WordCount(reference) == 1 ? "one" : "several"); }
            else if (line.TryGetValue(spec.Field, out var value) && value.ValueKind != JsonValueKind.Null
                && (value.ValueKind != JsonValueKind.String || value.GetString() is { Length: > 0 }))
                yield return (spec.Name, spec.Classify(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
            else yield return (spec.Name, Absent);
        }
    }

    private static BinaryF1 FrameVad(IReadOnlyList<double[]> reference, ChunkFrames frames, double frameShift)
    {
        var f1 = new BinaryF1();
        for (var j = 0; j < frames.Frames; j++)
        {
            var t = j * frameShift;
            f1.Add(reference.Any(v => t >= v[0] && t < v[1]), frames.VadLogits[j] > 0);
        }
        return f1;
    }

    private sealed class ConversationScores
    {
        public int Count, Transcribed, WithEmotion, CountCorrect;
        public long EmotionFrames, EmotionCorrect;
        public double Missed, FalseAlarm, Confusion, Overlapped, Scored;
        public ErrorRate Wer { get; } = new();

        public DerBreakdown? Der() => Count == 0 || Scored == 0 ? null
            : new DerBreakdown((Missed + FalseAlarm + Confusion) / Scored, Missed / Scored, FalseAlarm / Scored, Confusion / Scored, Scored, Overlapped / Scored);
    }

    private async Task EvaluateConversationsAsync(string corpusFolder, EvaluationOptions options, ConversationScores scores, CancellationToken ct)
    {
        var path = Path.Combine(corpusFolder, "conversations.jsonl");
        if (!File.Exists(path)) return;
        var conversations = await ManifestIo.ReadLinesAsync<ConversationEntry>(path, ct).ConfigureAwait(false);
        if (options.MaxConversations > 0) conversations = [.. conversations.Take(options.MaxConversations)];
        // Conversations go through the production path (the processor mixes, diarizes and decodes as the pipeline does).
        var processor = new RecordingProcessor(factory.CreateAnalyzer(options.PostProcessing));
        var analysis = new AnalysisOptions { MinSpeakers = 1, MaxSpeakers = 6 };
        var emotions = factory.Model.Description.Emotions;
        foreach (var c in conversations)
        {
            var (samples, _, _) = WavReader.ReadAll(Path.Combine(corpusFolder, c.Audio));
            var result = await processor.AnalyzeAsync(RecordingAudio.FromSamples(c.Id, samples), analysis, null, null, ct).ConfigureAwait(false);
            scores.Count++;
            // Real meetings may come with turns only (text "" and emotion ""): then only DER and the speaker count are scored.
            var reference = ScoringText.Normalize(string.Join(' ', c.Segments.OrderBy(s => s.Start).Select(s => s.Text)));
            if (reference.Length > 0)
            {
                scores.Transcribed++;
                scores.Wer.AddWords(reference, ScoringText.Normalize(result.Transcript.Text));
            }
            var der = DiarizationErrorRate.Compute(
                [.. c.Segments.Select(s => new LabeledSpan(s.Speaker, s.Start, s.End))],
                [.. result.Turns.Select(t => new LabeledSpan(t.Speaker, t.Start, t.End))], options.DerCollarSeconds);
            scores.Missed += der.Missed * der.ScoredSeconds; scores.FalseAlarm += der.FalseAlarm * der.ScoredSeconds;
            scores.Confusion += der.Confusion * der.ScoredSeconds; scores.Overlapped += der.OverlapFloor * der.ScoredSeconds;
            scores.Scored += der.ScoredSeconds;
            var referenceSpeakers = c.Segments.Select(s => s.Speaker).Distinct().Count();
            if (result.Speakers.Count == referenceSpeakers) scores.CountCorrect++;
            if (c.Segments.Any(s => emotions.Contains(s.Emotion)))
            {
                scores.WithEmotion++;
                // Emotion timeline: on a 0.1 s grid over labelled reference speech without cross-talk, does the timeline's label match?
                for (var t = 0.0; t < c.Duration; t += 0.1)
                {
                    var active = c.Segments.Where(s => t >= s.Start && t < s.End).ToArray();
                    if (active.Length != 1 || !emotions.Contains(active[0].Emotion)) continue;
                    var segment = result.Emotions.Timeline.FirstOrDefault(e => t >= e.Start && t < e.End);
                    scores.EmotionFrames++;
                    if (segment?.Label == active[0].Emotion) scores.EmotionCorrect++;
                }
            }
            logger.LogInformation("Conversation {Id}: {Speakers} speakers (reference {Reference}), DER {Der:P1} (overlap floor {OverlapFloor:P1}), words {Words}",
                c.Id, result.Speakers.Count, referenceSpeakers, der.Der, der.OverlapFloor, result.Transcript.Words.Count);
        }
    }

    internal static string Detokenize(IEnumerable<int> ids, IReadOnlyList<string> chars) =>
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

    private static int ArgMax(float[] v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
