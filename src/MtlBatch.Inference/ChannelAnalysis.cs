using MtlBatch.Core;
using MtlBatch.Inference.PostProcessing;
using MtlBatch.Inference.Streaming;

namespace MtlBatch.Inference;

/// <summary>The analysed content of one stream (the mixed recording, or one channel of a split recording).</summary>
public sealed record ChannelAnalysis(
    IReadOnlyList<Word> Words,
    IReadOnlyList<PhonemeSpan> Phonemes,
    IReadOnlyList<SpeakerSummary> Speakers,
    IReadOnlyList<Turn> Turns,
    IReadOnlyList<EmotionSegment> Timeline,
    IReadOnlyList<TimeSpan2> VoiceActivity)
{
    /// <summary>Per speaker id: the unit-length mean speaker embedding (<c>PostProcessing.SpeakerEmbeddings</c>), for voiceprints.</summary>
    public IReadOnlyDictionary<string, float[]> SpeakerEmbeddings { get; init; } = new Dictionary<string, float[]>();

    /// <summary>Voice activity, diarization, word-to-speaker assignment, turns and the emotion timeline from a finished pass.</summary>
    public static ChannelAnalysis FromPass(RecordingPass pass, ModelDescription model, AnalysisOptions options, PostProcessingOptions post,
        double durationSeconds, string? fixedSpeaker)
    {
        var shift = model.FrameShift;
        double Clamp(double t) => Math.Round(Math.Clamp(t, 0, durationSeconds), 3);

        var speech = VoiceActivityDetector.Detect(pass.SpeechProbability, shift, post.Vad);
        var diarization = new Diarizer(post.Diarization).Diarize(pass.SpeakerWindows, pass.FrameCount, speech, shift,
            options.MinSpeakers, options.MaxSpeakers, fixedSpeaker);
        string? Name(int speaker) => speaker >= 0 ? diarization.SpeakerNames[speaker] : null;

        // Words take the speaker at their midpoint; each word then joins the turn of that speaker around it.
        var words = new List<Word>(pass.Words.Count);
        var turnWords = diarization.Turns.Select(_ => new List<string>()).ToList();
        var turns = diarization.Turns.ToList();
        var maxGapFrames = (int)Math.Round(post.Diarization.MaxTurnGapSeconds / shift);
        foreach (var w in pass.Words)
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
        var speakers = diarization.SpeakerNames.Select((name, i) => new SpeakerSummary { Id = name, TotalSeconds = Math.Round(voicedPerSpeaker[i] * shift, 2) }).ToList();

        var timeline = new EmotionTimelineBuilder(post.Emotion).Build(pass.EmotionProbabilities, model.Emotions, speech, diarization, shift)
            .Select(e => e with { Start = Clamp(e.Start), End = Clamp(e.End), Confidence = Math.Round(e.Confidence, 4) }).ToList();

        var phonemes = new PhonemeSpanList(pass.Phonemes, model.Phonemes, pass.CtcFrameShift, durationSeconds);
        var voiceActivity = speech.Select(r => new TimeSpan2(Clamp(r.Start * shift), Clamp(r.End * shift))).ToList();
        return new ChannelAnalysis(words, phonemes, speakers, finalTurns, timeline, voiceActivity)
        {
            SpeakerEmbeddings = PostProcessing.SpeakerEmbeddings.Compute(pass.SpeakerWindows, diarization),
        };
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
            UnionOf(channels.SelectMany(c => c.VoiceActivity)))
        {
            SpeakerEmbeddings = channels.SelectMany(c => c.SpeakerEmbeddings).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        };
    }

    private static List<TimeSpan2> UnionOf(IEnumerable<TimeSpan2> spans)
    {
        var result = new List<TimeSpan2>();
        foreach (var s in spans.OrderBy(s => s.Start))
        {
            if (result.Count > 0 && s.Start <= result[^1].End) result[^1] = result[^1] with { End = Math.Max(result[^1].End, s.End) };
            else result.Add(s);
        }
        return result;
    }
}
