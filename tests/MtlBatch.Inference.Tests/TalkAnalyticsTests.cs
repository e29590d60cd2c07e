using MtlBatch.Core;
using MtlBatch.Inference.Analytics;
using MtlBatch.Reports;

namespace MtlBatch.Inference.Tests;

public class TalkAnalyticsTests
{
    /// <summary>
    /// A 30 s call with known timings. Agent: 0.5-6, 9-15, 20-24. Customer: 5.5-8 (starts 0.5 s before the agent stops: an
    /// interruption), 14.8-18 (0.2 s of overlap: too short to count), 23-27 (1 s of overlap: an interruption).
    /// </summary>
    private static (List<SpeakerSummary> Speakers, List<Turn> Turns, List<Word> Words) Call()
    {
        var speakers = new List<SpeakerSummary>
        {
            new() { Id = "ch1", TotalSeconds = 15.5, Role = "agent" },
            new() { Id = "ch2", TotalSeconds = 9.7, Role = "customer" },
        };
        Turn T(string who, double start, double end) => new() { Speaker = who, Start = start, End = end, Text = "", Emotion = "neutral", EmotionConfidence = 1 };
        var turns = new List<Turn> { T("ch1", 0.5, 6), T("ch2", 5.5, 8), T("ch1", 9, 15), T("ch2", 14.8, 18), T("ch1", 20, 24), T("ch2", 23, 27) };
        Word W(string who, int i) => new() { Text = "w", Start = i, End = i + 0.2, Confidence = 1, Speaker = who };
        var words = Enumerable.Range(0, 31).Select(i => W("ch1", i)).Concat(Enumerable.Range(0, 20).Select(i => W("ch2", i))).ToList();
        return (speakers, turns, words);
    }

    [Fact]
    public void Per_speaker_and_per_recording_figures_match_the_known_timings()
    {
        var (speakers, turns, words) = Call();
        var loudness = new Dictionary<string, double?> { ["ch1"] = -12.5, ["ch2"] = null };
        var a = TalkAnalyticsCalculator.Compute(speakers, turns, words, 30, loudness);

        Assert.Equal(23.5, a.TalkSeconds);            // 0.5-8, 9-18, 20-27
        Assert.Equal([new TimeSpan2(18, 20), new TimeSpan2(27, 30)], a.Silences); // 0-0.5 and 8-9 are shorter than 2 s
        Assert.Equal(5.0, a.NonTalkSeconds);
        Assert.Equal(1.7, a.OverlapSeconds);          // 0.5 + 0.2 + 1.0
        Assert.Equal(6, a.TurnCount);
        Assert.Equal((2.0, 0.3), (a.MinSilenceSeconds, a.MinInterruptionSeconds));

        var agent = a.Speakers.Single(s => s.Speaker == "ch1");
        var customer = a.Speakers.Single(s => s.Speaker == "ch2");
        Assert.Equal(("agent", "customer"), (agent.Role, customer.Role));
        Assert.Equal((15.5, 9.7), (agent.TalkSeconds, customer.TalkSeconds));
        Assert.Equal((0.6151, 0.3849), (agent.Share, customer.Share)); // 15.5 / 25.2
        Assert.Equal((31, 20), (agent.WordCount, customer.WordCount));
        Assert.Equal((120.0, 123.7), (agent.WordsPerMinute, customer.WordsPerMinute)); // 31 / 15.5 s, 20 / 9.7 s
        Assert.Equal((6.0, 4.0), (agent.LongestMonologueSeconds, customer.LongestMonologueSeconds));
        Assert.Equal((-12.5, null), (agent.MeanLoudnessDbfs, customer.MeanLoudnessDbfs));
        Assert.Equal((0, 2), (agent.InterruptionsMade, agent.InterruptionsReceived));
        Assert.Equal((2, 0), (customer.InterruptionsMade, customer.InterruptionsReceived));
    }

    [Fact]
    public void A_monologue_has_no_overlap_and_its_leading_and_trailing_silence_count()
    {
        var speakers = new List<SpeakerSummary> { new() { Id = "S1", TotalSeconds = 6 } };
        Turn T(double start, double end) => new() { Speaker = "S1", Start = start, End = end, Text = "", Emotion = "neutral", EmotionConfidence = 1 };
        var a = TalkAnalyticsCalculator.Compute(speakers, [T(3, 5), T(5.5, 9.5)], [], 12, new Dictionary<string, double?>());

        Assert.Equal([new TimeSpan2(0, 3), new TimeSpan2(9.5, 12)], a.Silences);
        Assert.Equal((5.5, 0.0, 6.0), (a.NonTalkSeconds, a.OverlapSeconds, a.TalkSeconds));
        var s = Assert.Single(a.Speakers);
        Assert.Equal((1.0, 0.0, 4.0, 0, 0), (s.Share, s.WordsPerMinute, s.LongestMonologueSeconds, s.InterruptionsMade, s.InterruptionsReceived));
        Assert.Null(s.MeanLoudnessDbfs);
        Assert.Null(s.Role);
    }

    [Fact]
    public void An_empty_recording_is_all_silence()
    {
        var a = TalkAnalyticsCalculator.Compute([], [], [], 4, new Dictionary<string, double?>());
        Assert.Equal([new TimeSpan2(0, 4)], a.Silences);
        Assert.Equal((0.0, 4.0, 0), (a.TalkSeconds, a.NonTalkSeconds, a.TurnCount));
        Assert.Empty(a.Speakers);
    }

    [Fact]
    public void Loudness_is_the_rms_level_of_the_frames_inside_the_spans()
    {
        // 1 s at amplitude 0.5 (square: RMS 0.5), then 1 s at 0.1, in 40 ms frames.
        var meter = new FrameLoudness(640, 16000);
        meter.Add(Enumerable.Repeat(0.5f, 16000).ToArray());
        meter.Add(Enumerable.Repeat(-0.1f, 16000).ToArray());
        Assert.Equal(50, meter.FrameCount);

        Assert.Equal(Math.Round(20 * Math.Log10(0.5), 2), meter.Dbfs([new TimeSpan2(0, 1)]));   // -6.02
        Assert.Equal(Math.Round(20 * Math.Log10(0.1), 2), meter.Dbfs([new TimeSpan2(1, 2)]));   // -20
        Assert.Equal(Math.Round(10 * Math.Log10((0.25 + 0.01) / 2), 2), meter.Dbfs([new TimeSpan2(0.6, 1), new TimeSpan2(1, 1.4)])); // 10 frames each
        Assert.Null(meter.Dbfs([]));
        Assert.Null(meter.Dbfs([new TimeSpan2(3, 4)]));
    }

    [Fact]
    public void A_sine_at_full_scale_is_minus_three_dbfs()
    {
        var meter = new FrameLoudness(640, 16000);
        meter.Add(Enumerable.Range(0, 16000).Select(i => (float)Math.Sin(2 * Math.PI * 250 * i / 16000)).ToArray());
        Assert.Equal(-3.01, meter.Dbfs([new TimeSpan2(0, 1)]));
    }

    [Fact]
    public void Intervals_union_intersect_and_overlap()
    {
        var union = Intervals.Union([new TimeSpan2(5, 6), new TimeSpan2(1, 2), new TimeSpan2(1.5, 3), new TimeSpan2(4, 4)]);
        Assert.Equal([new TimeSpan2(1, 3), new TimeSpan2(5, 6)], union);
        Assert.Equal([new TimeSpan2(2, 3), new TimeSpan2(5, 5.5)], Intervals.Intersect(union, [new TimeSpan2(2, 5.5)]));
        Assert.Equal(1.5, Intervals.OverlapSeconds([union, [new TimeSpan2(2, 5.5)], [new TimeSpan2(0, 0.5)]]));
    }
}

public class ChannelRoleTests
{
    [Fact]
    public async Task Split_channels_with_roles_name_speakers_and_turns_and_captions_show_the_role()
    {
        // Channel 1 says its words in the first 4 s, channel 2 in the last 4 s (silence elsewhere: the scripted VAD follows the words).
        var first = new List<Synthetic.PlacedWord> { new("hello", 20), new("there", 80), new("how", 140) };
        var second = new List<Synthetic.PlacedWord> { new("fine", 260), new("thanks", 320), new("bye", 380) };
        const long samples = 9 * 16000;
        ScriptedModel Model(List<Synthetic.PlacedWord> words) =>
            new(Synthetic.Emissions(450, words), f => (0, words.Any(w => f * 2 >= w.StartFrame - 10 && f * 2 <= w.LastFrame + 10), 0), samples / 640 + 1);
        var models = new[] { Model(first), Model(second) };
        var options = new AnalysisOptions { Channels = ChannelMode.Split, ChannelRoles = ["agent", "customer"], ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 1 };
        var recording = new RecordingInfo { Name = "call.wav", DurationSeconds = 9, SampleRate = 8000, Channels = 2, Sha256 = new string('b', 64) };

        var channels = new ChannelSwitch(models);
        var result = await new SpeechAnalyzer(channels, new PostProcessingOptions()).AnalyzeChannelsAsync(
            [ct => channels.Stream(0, samples, ct), ct => channels.Stream(1, samples, ct)], recording, options, null, null, CancellationToken.None);

        Assert.Equal([("ch1", "agent"), ("ch2", "customer")], result.Speakers.Select(s => (s.Id, s.Role)));
        Assert.All(result.Turns, t => Assert.Equal(t.Speaker == "ch1" ? "agent" : "customer", t.Role));
        Assert.Equal(["hello", "there", "how", "fine", "thanks", "bye"], result.Transcript.Words.Select(w => w.Text));
        var vtt = Captions.ToWebVtt(result);
        Assert.Contains("<v Agent>hello", vtt, StringComparison.Ordinal);
        Assert.Contains("<v Customer>fine", vtt, StringComparison.Ordinal);
        Assert.DoesNotContain("<v ch", vtt, StringComparison.Ordinal);
        Assert.Contains("Agent: hello", Captions.ToSrt(result), StringComparison.Ordinal);
        var html = ReportHtml.Render(result);
        Assert.Contains("<b class=\"who\">Agent</b>", html, StringComparison.Ordinal);
        Assert.Contains("<b class=\"who\">Customer</b>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"analytics\"", html, StringComparison.Ordinal);

        var analytics = result.Analytics!;
        Assert.Equal(["agent", "customer"], analytics.Speakers.Select(s => s.Role));
        Assert.Equal(3, analytics.Speakers[0].WordCount);
        Assert.Equal(0, analytics.OverlapSeconds);
        Assert.All(analytics.Speakers, s => Assert.NotNull(s.MeanLoudnessDbfs));
    }

    [Fact]
    public void Roles_must_be_short_distinct_lower_case_words()
    {
        new AnalysisOptions { ChannelRoles = ["agent", "customer"] }.Validate();
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnalysisOptions { ChannelRoles = ["agent", "agent"] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnalysisOptions { ChannelRoles = ["Agent <b>"] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnalysisOptions { ChannelRoles = [""] }.Validate());
    }

    /// <summary>One scripted model per channel: <see cref="Stream"/> selects the channel (they are analysed one after another).</summary>
    private sealed class ChannelSwitch(ScriptedModel[] models) : IChunkModel
    {
        private int _channel;
        public ModelDescription Description => models[0].Description;
        public string Device => "cpu";

        public async IAsyncEnumerable<float[]> Stream(int channel, long samples, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            _channel = channel; // channels are analysed one after another
            var audio = ScriptedModel.Audio(samples);
            for (var i = 0; i < audio.Length; i += 16000)
            {
                ct.ThrowIfCancellationRequested();
                await Task.Yield();
                yield return audio[i..Math.Min(audio.Length, i + 16000)];
            }
        }

        public IReadOnlyList<ChunkFrames> Run(ReadOnlyMemory<float> audio, int batchSize, int samplesPerChunk, CancellationToken cancellationToken) =>
            models[_channel].Run(audio, batchSize, samplesPerChunk, cancellationToken);
    }
}
