using MtlBatch.Core;
using MtlBatch.Inference.PostProcessing;
using MtlBatch.Inference.Streaming;

namespace MtlBatch.Inference;

/// <summary>The analysed content of one stream (the mixed recording, or one channel of a split recording).</summary>
internal sealed record ChannelAnalysis(
    IReadOnlyList<Word> Words,
    IReadOnlyList<PhonemeSpan> Phonemes,
    IReadOnlyList<SpeakerSummary> Speakers,
    IReadOnlyList<Turn> Turns,
    IReadOnlyList<EmotionSegment> Timeline,
    IReadOnlyList<TimeSpan2> VoiceActivity)
{
    /// <summary>Per speaker id: the unit-length mean speaker embedding (<c>PostProcessing.SpeakerEmbeddings</c>), for voiceprints.</summary>
    public IReadOnlyDictionary<string, float[]> SpeakerEmbeddings { get; init; } = new Dictionary<string, float[]>();
    /// <summary>The spans redaction replaced (times and labels only; the words are gone).</summary>
    public IReadOnlyList<RedactedSpan> Redacted { get; init; } = [];

    /// <summary>The same analysis with <paramref name="role"/> on every speaker and turn (a channel of a split recording).</summary>
    public ChannelAnalysis WithRole(string role) => this with
    {
        Speakers = Speakers.Select(s => s with { Role = role }).ToList(),
        Turns = Turns.Select(t => t with { Role = role }).ToList(),
    };

    /// <summary>Voice activity, diarization, word-to-speaker assignment, turns and the emotion timeline from a finished pass.</summary>
    internal static ChannelAnalysis FromPass(RecordingPass pass, ModelDescription model, AnalysisOptions options, PostProcessingOptions post,
        double durationSeconds, string? fixedSpeaker, TranscriptRedactor? redactor = null)
    {
        var shift = model.FrameShift;
        double Clamp(double t) => Math.Round(Math.Clamp(t, 0, durationSeconds), 3);

        var speech = VoiceActivityDetector.Detect(pass.SpeechProbability, shift, post.Vad);
        var diarization = new Diarizer(post.Diarization).Diarize(pass.SpeakerWindows, pass.FrameCount, speech, shift,
            options.MinSpeakers, options.MaxSpeakers, fixedSpeaker, pass.OverlapProbability);
        string? Name(int speaker) => speaker >= 0 ? diarization.SpeakerNames[speaker] : null;

        // Redaction first: the removed words never reach a word, turn, caption or phoneme of the result.
        var (decoded, redacted) = Redact(pass.Words, redactor);

        // Words take the speaker at their midpoint; each word then joins the turn of that speaker around it.
        var words = new List<Word>(decoded.Count);
        var turnWords = diarization.Turns.Select(_ => new List<string>()).ToList();
        var turns = diarization.Turns.ToList();
        var maxGapFrames = (int)Math.Round(post.Diarization.MaxTurnGapSeconds / shift);
        foreach (var w in decoded)
        {
            var midFrame = (int)Math.Floor((w.Start + w.End) / 2 / shift);
            var speaker = diarization.SpeakerNear(midFrame);
            words.Add(new Word { Text = w.Text, Start = Clamp(w.Start), End = Clamp(w.End), Confidence = Math.Round(w.Confidence, 4), Speaker = Name(speaker) });
            if (speaker < 0) continue;
            var turn = NearestTurn(turns, speaker, midFrame, maxGapFrames);
            if (turn < 0)
            {
                var startFrame = (int)Math.Floor(w.Start / shift);
                turns.Add(new FrameTurn(speaker, startFrame, Math.Max(startFrame + 1, (int)Math.Ceiling(w.End / shift))));
                turnWords.Add([]);
                turn = turns.Count - 1;
            }
            turnWords[turn].Add(w.Text);
        }

        var finalTurns = turns.Select((t, i) =>
        {
            var (emotion, confidence, _) = EmotionTimelineBuilder.Dominant(pass.EmotionProbabilities, model.Emotions, t.StartFrame, t.EndFrame);
            return new Turn
            {
                Speaker = diarization.SpeakerNames[t.Speaker],
                Start = Clamp(t.StartFrame * shift), End = Clamp(t.EndFrame * shift),
                Text = string.Join(' ', turnWords[i]),
                Emotion = emotion, EmotionConfidence = Math.Round(confidence, 4),
            };
        }).OrderBy(t => t.Start).ToList();

        var voicedPerSpeaker = new int[diarization.SpeakerNames.Count];
        foreach (var s in diarization.FrameSpeaker) if (s >= 0) voicedPerSpeaker[s]++;
        foreach (var s in diarization.SecondSpeaker ?? []) if (s >= 0) voicedPerSpeaker[s]++;
        var speakers = diarization.SpeakerNames.Select((name, i) => new SpeakerSummary { Id = name, TotalSeconds = Math.Round(voicedPerSpeaker[i] * shift, 2) }).ToList();

        var timeline = new EmotionTimelineBuilder(post.Emotion).Build(pass.EmotionProbabilities, model.Emotions, speech, diarization, shift)
            .Select(e => e with { Start = Clamp(e.Start), End = Clamp(e.End), Confidence = Math.Round(e.Confidence, 4) }).ToList();

        var phonemeRuns = redacted.Count == 0 ? pass.Phonemes : WithoutSpans(pass.Phonemes, pass.CtcFrameShift, redacted);
        var phonemes = new PhonemeSpanList(phonemeRuns, model.Phonemes, pass.CtcFrameShift, durationSeconds);
        var voiceActivity = speech.Select(r => new TimeSpan2(Clamp(r.Start * shift), Clamp(r.End * shift))).ToList();
        var spans = redacted.Select(r =>
        {
            var speaker = diarization.SpeakerNear((int)Math.Floor((r.Start + r.End) / 2 / shift));
            return new RedactedSpan { Label = r.Label, Start = Clamp(r.Start), End = Clamp(r.End), Speaker = Name(speaker) };
        }).ToList();
        return new ChannelAnalysis(words, phonemes, speakers, finalTurns, timeline, voiceActivity)
        {
            Redacted = spans,
            SpeakerEmbeddings = PostProcessing.SpeakerEmbeddings.Compute(pass.SpeakerWindows, diarization),
        };
    }

    /// <summary>The decoded words with every redaction match collapsed into one placeholder word, and the matched spans.</summary>
    private static (IReadOnlyList<Ctc.DecodedWord> Words, List<(string Label, double Start, double End)> Spans) Redact(
        IReadOnlyList<Ctc.DecodedWord> words, TranscriptRedactor? redactor)
    {
        if (redactor is null) return (words, []);
        var matches = redactor.Find(words.Select(w => w.Text).ToList());
        if (matches.Count == 0) return (words, []);
        var result = new List<Ctc.DecodedWord>(words.Count);
        var spans = new List<(string, double, double)>(matches.Count);
        var next = 0;
        foreach (var m in matches)
        {
            for (; next < m.First; next++) result.Add(words[next]);
            var first = words[m.First]; var last = words[m.Last];
            var confidence = Enumerable.Range(m.First, m.Last - m.First + 1).Min(i => words[i].Confidence);
            result.Add(new Ctc.DecodedWord(TranscriptRedactor.Placeholder(m.Label), first.Start, last.End, confidence));
            spans.Add((m.Label, first.Start, last.End));
            next = m.Last + 1;
        }
        for (; next < words.Count; next++) result.Add(words[next]);
        return (result, spans);
    }

    /// <summary>
    /// Phoneme runs that do not overlap a redacted span (the phonemes of "four five" would spell the digits). Both lists are
    /// in time order and the spans do not overlap, so one pass over each suffices (10 hours: ~10^6 runs).
    /// </summary>
    private static List<Ctc.DecodedLabel> WithoutSpans(IReadOnlyList<Ctc.DecodedLabel> runs, double ctcShift, List<(string Label, double Start, double End)> spans)
    {
        var kept = new List<Ctc.DecodedLabel>(runs.Count);
        var next = 0;
        foreach (var run in runs)
        {
            double start = run.StartFrame * ctcShift, end = run.EndFrame * ctcShift;
            while (next < spans.Count && spans[next].End <= start) next++;
            var overlaps = false;
            for (var k = next; k < spans.Count && spans[k].Start < end; k++)
                if (spans[k].End > start) { overlaps = true; break; }
            if (!overlaps) kept.Add(run);
        }
        return kept;
    }

    private static int NearestTurn(List<FrameTurn> turns, int speaker, int frame, int maxGapFrames)
    {
        var best = -1; var bestDistance = int.MaxValue;
        for (var i = 0; i < turns.Count; i++)
        {
            var t = turns[i];
            if (t.Speaker != speaker) continue;
            var distance = frame < t.StartFrame ? t.StartFrame - frame : frame >= t.EndFrame ? frame - t.EndFrame + 1 : 0;
            if (distance < bestDistance) { bestDistance = distance; best = i; }
        }
        return bestDistance <= maxGapFrames ? best : -1;
    }

    /// <summary>Channels of a split recording as one conversation: everything merged in time order.</summary>
    public static ChannelAnalysis Merge(IReadOnlyList<ChannelAnalysis> channels)
    {
        if (channels.Count == 1) return channels[0];
        return new ChannelAnalysis(
            channels.SelectMany(c => c.Words).OrderBy(w => w.Start).ThenBy(w => w.End).ToList(),
            channels.SelectMany(c => c.Phonemes).OrderBy(p => p.Start).ToList(),
            channels.SelectMany(c => c.Speakers).ToList(),
            channels.SelectMany(c => c.Turns).OrderBy(t => t.Start).ThenBy(t => t.Speaker, StringComparer.Ordinal).ToList(),
            channels.SelectMany(c => c.Timeline).OrderBy(e => e.Start).ThenBy(e => e.Speaker, StringComparer.Ordinal).ToList(),
            Analytics.Intervals.Union(channels.SelectMany(c => c.VoiceActivity)))
        {
            Redacted = channels.SelectMany(c => c.Redacted).OrderBy(r => r.Start).ToList(),
            SpeakerEmbeddings = channels.SelectMany(c => c.SpeakerEmbeddings).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        };
    }
}
