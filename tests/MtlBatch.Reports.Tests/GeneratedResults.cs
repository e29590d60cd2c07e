using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

/// <summary>Shape of a generated recording.</summary>
internal sealed record ConversationShape
{
    public int Seed { get; init; } = 1;
    public int Speakers { get; init; } = 3;
    public double Seconds { get; init; } = 120;
    public int MinWordsPerTurn { get; init; } = 3;
    public int MaxWordsPerTurn { get; init; } = 25;
    /// <summary>Chance that a word is followed by a long pause (over a second) inside the same turn.</summary>
    public double LongPauseChance { get; init; } = 0.03;
    /// <summary>Chance that the next turn starts before the current one ends (people talking at once).</summary>
    public double OverlapChance { get; init; }
    public string Name { get; init; } = "weekly-call.wav";
    /// <summary>Speaker ids; defaults to S1..Sn.</summary>
    public IReadOnlyList<string>? SpeakerIds { get; init; }
    /// <summary>Extra words mixed into the vocabulary (e.g. hostile strings).</summary>
    public IReadOnlyList<string> ExtraWords { get; init; } = [];
}

/// <summary>Deterministic, realistic-looking AnalysisResults (random words, turns, emotions, voice activity).</summary>
internal static class GeneratedResults
{
    public static readonly string[] EmotionLabels = ["neutral", "happy", "sad", "angry"];

    private static readonly string[] s_vocabulary =
    [
        "the", "a", "we", "should", "ship", "release", "on", "friday", "i", "think", "that", "is", "fine", "but", "tests",
        "are", "still", "flaky", "okay", "let's", "look", "at", "numbers", "budget", "customer", "called", "again", "about",
        "invoice", "yes", "no", "maybe", "tomorrow", "morning", "meeting", "schedule", "deployment", "pipeline", "storage",
        "really", "great", "news", "everyone", "thanks", "problem", "understand", "transcription", "accuracy", "improved",
        "considerably", "internationalisation", "and", "so", "well", "right", "exactly", "sounds", "good",
    ];

    private static readonly string[] s_phonemes = ["h", "ə", "l", "oʊ", "w", "ɜː", "d", "s", "t", "ɪ", "n", "k"];

    public static AnalysisResult Conversation(ConversationShape shape)
    {
        var rng = new Random(shape.Seed);
        var ids = shape.SpeakerIds ?? Enumerable.Range(1, shape.Speakers).Select(i => $"S{i}").ToArray();
        var vocabulary = s_vocabulary.Concat(shape.ExtraWords).ToArray();
        var words = new List<Word>();
        var turns = new List<Turn>();
        var phonemes = new List<PhonemeSpan>();
        var timeline = new List<EmotionSegment>();
        var voice = new List<TimeSpan2>();

        double t = 0.4 + rng.NextDouble();
        int last = -1;
        while (t < shape.Seconds - 2)
        {
            int speaker = ids.Count == 1 ? 0 : (last + 1 + rng.Next(ids.Count - 1)) % ids.Count;
            last = speaker;
            int count = rng.Next(shape.MinWordsPerTurn, shape.MaxWordsPerTurn + 1);
            double turnStart = t;
            var turnWords = new List<Word>();
            for (int k = 0; k < count && t < shape.Seconds - 0.5; k++)
            {
                // Extra words come first so every one of them is certain to appear, then random ones.
                var text = words.Count + turnWords.Count < shape.ExtraWords.Count ? shape.ExtraWords[words.Count + turnWords.Count] : vocabulary[rng.Next(vocabulary.Length)];
                double duration = 0.12 + 0.055 * Math.Min(text.Length, 14) + rng.NextDouble() * 0.1;
                var word = new Word
                {
                    Text = text, Start = Math.Round(t, 3), End = Math.Round(t + duration, 3),
                    Confidence = Math.Round(1 - 0.75 * Math.Pow(rng.NextDouble(), 4), 3), Speaker = ids[speaker],
                };
                turnWords.Add(word);
                phonemes.Add(new PhonemeSpan { Symbol = s_phonemes[rng.Next(s_phonemes.Length)], Start = word.Start, End = Math.Round(word.Start + duration / 2, 3) });
                phonemes.Add(new PhonemeSpan { Symbol = s_phonemes[rng.Next(s_phonemes.Length)], Start = Math.Round(word.Start + duration / 2, 3), End = word.End });
                t += duration + 0.04 + rng.NextDouble() * 0.2;
                if (rng.NextDouble() < shape.LongPauseChance) t += 1.2 + rng.NextDouble();
            }
            if (turnWords.Count == 0) break;
            words.AddRange(turnWords);
            double turnEnd = turnWords[^1].End;
            int emotion = rng.Next(EmotionLabels.Length);
            turns.Add(new Turn
            {
                Speaker = ids[speaker], Start = Math.Round(turnStart, 3), End = turnEnd, Text = string.Join(' ', turnWords.Select(w => w.Text)),
                Emotion = EmotionLabels[emotion], EmotionConfidence = Math.Round(0.4 + 0.6 * rng.NextDouble(), 3),
            });
            voice.Add(new TimeSpan2(Math.Max(0, Math.Round(turnStart - 0.1, 3)), Math.Round(turnEnd + 0.1, 3)));

            // One to three emotion segments across the turn, each with a full score distribution.
            int pieces = 1 + rng.Next(3);
            for (int p = 0; p < pieces; p++)
            {
                double a = turnStart + (turnEnd - turnStart) * p / pieces, b = turnStart + (turnEnd - turnStart) * (p + 1) / pieces;
                var raw = EmotionLabels.Select(_ => rng.NextDouble() + 0.05).ToArray();
                int top = p == 0 ? emotion : rng.Next(EmotionLabels.Length);
                raw[top] += 1.5;
                double sum = raw.Sum();
                var scores = EmotionLabels.Select((l, i) => (l, s: Math.Round(raw[i] / sum, 4))).ToDictionary(x => x.l, x => x.s);
                timeline.Add(new EmotionSegment
                {
                    Start = Math.Round(a, 3), End = Math.Round(b, 3), Label = EmotionLabels[top], Confidence = scores[EmotionLabels[top]], Scores = scores, Speaker = ids[speaker],
                });
            }

            bool overlap = rng.NextDouble() < shape.OverlapChance;
            t = overlap ? turnEnd - 0.3 - rng.NextDouble() * 0.5 : turnEnd + 0.15 + rng.NextDouble() * (rng.NextDouble() < 0.2 ? 4 : 0.8);
            t = Math.Max(t, turnStart + 0.05);
        }

        var speakers = ids.Select(id => new SpeakerSummary
        {
            Id = id, TotalSeconds = Math.Round(turns.Where(x => x.Speaker == id).Sum(x => x.End - x.Start), 3),
        }).Where(s => s.TotalSeconds > 0).ToArray();

        var started = new DateTimeOffset(2025, 3, 14, 9, 30, 0, TimeSpan.Zero).AddMinutes(shape.Seed);
        return new AnalysisResult
        {
            Recording = new RecordingInfo { Name = shape.Name, DurationSeconds = shape.Seconds, SampleRate = 8000, Channels = 1, Sha256 = Hex(rng) },
            Model = new ModelInfo { Name = "mtl-small", Version = "0.3.0", Sha256 = Hex(rng) },
            Processing = new ProcessingInfo { Device = "cpu", StartedAt = started, CompletedAt = started.AddSeconds(shape.Seconds / 20), RealtimeFactor = 20 },
            Transcript = new Transcript { Text = string.Join(' ', words.Select(w => w.Text)), Words = words },
            Phonemes = phonemes,
            Speakers = speakers,
            Turns = turns,
            Emotions = new EmotionTrack { Labels = EmotionLabels, Timeline = timeline },
            VoiceActivity = voice,
        };
    }

    public static AnalysisResult ThreeSpeakerCall() => Conversation(new ConversationShape { Seed = 7, Speakers = 3, Seconds = 120 });

    public static AnalysisResult LongMonologue() =>
        Conversation(new ConversationShape { Seed = 11, Speakers = 1, Seconds = 300, MinWordsPerTurn = 400, MaxWordsPerTurn = 600, LongPauseChance = 0.01 });

    public static AnalysisResult RapidSpeakerChanges() =>
        Conversation(new ConversationShape { Seed = 13, Speakers = 4, Seconds = 90, MinWordsPerTurn = 1, MaxWordsPerTurn = 2, OverlapChance = 0.3 });

    public static AnalysisResult TwoHourMeeting() =>
        Conversation(new ConversationShape { Seed = 17, Speakers = 8, Seconds = 7200, Name = "all-hands-2h.flac" });

    /// <summary>Names, speakers and words that would break out of HTML or caption syntax if not encoded.</summary>
    public static AnalysisResult Hostile() => Conversation(new ConversationShape
    {
        Seed = 23, Speakers = 2, Seconds = 40,
        Name = "<script>alert('name')</script>&\"quoted\".wav",
        SpeakerIds = ["\"><img src=x onerror=alert(1)>", "S&2 <b>bold</b>"],
        // Each shorter than a caption line minus the longest label, so captions keep them whole.
        ExtraWords = ["<script>x</script>", "a&amp;b", "-->", "\"quoted\"", "<i>x</i>", "https://ev.il/x.js"],
    });

    public static ErrorRecord Error(string? jobId = "job-42") => new()
    {
        Recording = "archive.zip/calls/broken.mp3", Code = ErrorCodes.DecodeFailed, Message = "ffmpeg exited with code 1: Invalid data found",
        JobId = jobId, ModelVersion = jobId is null ? null : "0.3.0", Attempts = 3, FailedAt = new DateTimeOffset(2025, 3, 14, 10, 0, 0, TimeSpan.Zero),
    };

    private static string Hex(Random rng)
    {
        var bytes = new byte[32];
        rng.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
