using MtlBatch.Inference.PostProcessing;

namespace MtlBatch.Inference.Tests;

public class DiarizationTests
{
    /// <summary>n embeddings per cluster around random unit centres, interleaved in time, with noise.</summary>
    private static (List<float[]> Embeddings, int[] Truth) Clusters(int clusters, int perCluster, double noise, int seed, int dim = 16)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => RandomUnit(random, dim)).ToArray();
        var embeddings = new List<float[]>(); var truth = new List<int>();
        for (var i = 0; i < perCluster; i++)
            for (var c = 0; c < clusters; c++)
            {
                var v = new double[dim];
                for (var d = 0; d < dim; d++) v[d] = centres[c][d] + noise * Gaussian(random);
                embeddings.Add(SpeakerWindowPooler.Normalize(v));
                truth.Add(c);
            }
        return (embeddings, [.. truth]);
    }

    private static double[] RandomUnit(Random r, int dim)
    {
        var v = Enumerable.Range(0, dim).Select(_ => Gaussian(r)).ToArray();
        var n = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>Labels agree with the truth up to renaming (every true cluster maps to exactly one label).</summary>
    private static void AssertSamePartition(int[] truth, int[] labels)
    {
        var map = new Dictionary<int, int>();
        for (var i = 0; i < truth.Length; i++)
        {
            if (!map.TryGetValue(truth[i], out var l)) map[truth[i]] = l = labels[i];
            Assert.Equal(l, labels[i]);
        }
        Assert.Equal(map.Count, map.Values.Distinct().Count());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Three_voices_become_three_speakers(int seed)
    {
        var (embeddings, truth) = Clusters(3, 40, noise: 0.08, seed);
        var labels = new SpeakerClusterer(new DiarizationOptions()).Cluster(embeddings, 1, 6);
        Assert.Equal(3, labels.Distinct().Count());
        AssertSamePartition(truth, labels);
    }

    [Fact]
    public void One_voice_stays_one_speaker()
    {
        var (embeddings, _) = Clusters(1, 60, noise: 0.08, seed: 4);
        Assert.Single(new SpeakerClusterer(new DiarizationOptions()).Cluster(embeddings, 1, 6).Distinct());
    }

    [Theory]
    [InlineData(1, 2, 2)]
    [InlineData(4, 6, 4)]
    [InlineData(2, 2, 2)]
    public void Speaker_count_bounds_are_honoured(int min, int max, int expected)
    {
        var (embeddings, _) = Clusters(3, 30, noise: 0.08, seed: 5);
        Assert.Equal(expected, new SpeakerClusterer(new DiarizationOptions()).Cluster(embeddings, min, max).Distinct().Count());
    }

    [Fact]
    public void Long_recordings_are_clustered_on_a_sample_and_every_window_is_labelled()
    {
        var (embeddings, truth) = Clusters(3, 500, noise: 0.08, seed: 6); // 1500 windows > MaxClusteringWindows
        var labels = new SpeakerClusterer(new DiarizationOptions { MaxClusteringWindows = 200 }).Cluster(embeddings, 1, 6);
        Assert.Equal(1500, labels.Length);
        Assert.Equal(3, labels.Distinct().Count());
        AssertSamePartition(truth, labels);
    }

    [Fact]
    public void Turns_follow_voiced_frames_and_speakers_are_named_by_first_appearance()
    {
        // Speaker B (voice 1) talks first for 4 s, A (voice 0) for 4 s, then B again after a 0.5 s pause (bridged) ... no:
        // B again after a 2 s pause starts a new turn. Frames are 40 ms.
        var voices = new[] { new double[] { 1, 0, 0 }, new double[] { 0, 1, 0 } };
        int[] script = [.. Enumerable.Repeat(1, 100), .. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(-1, 50), .. Enumerable.Repeat(1, 100)];
        var options = new DiarizationOptions();
        var pooler = new SpeakerWindowPooler(3, 0.04, options, speechOnset: 0.5);
        foreach (var s in script) pooler.Add(s < 0 ? new float[3] : voices[s].Select(x => (float)x).ToArray(), s < 0 ? 0.1f : 0.9f);
        pooler.Complete();
        IReadOnlyList<FrameRange> speech = [new(0, 200), new(250, 350)];

        var diarization = new Diarizer(options).Diarize(pooler.Windows, script.Length, speech, 0.04, 1, 6);
        Assert.Equal(["S1", "S2"], diarization.SpeakerNames);
        Assert.Equal(3, diarization.Turns.Count);
        Assert.Equal([0, 1, 0], diarization.Turns.Select(t => t.Speaker));
        Assert.InRange(diarization.Turns[0].EndFrame, 90, 110);   // change at frame 100 ± one window hop
        Assert.Equal(250, diarization.Turns[2].StartFrame);
        Assert.Equal(-1, diarization.FrameSpeaker[220]);
    }

    // Voice 0 for 4 s, then voice 1 for 10 s, no pause; the callers mark frames of overlap.
    private static (Diarization Diarization, int Frames) TalkOver(float[]? overlap, DiarizationOptions options)
    {
        var voices = new[] { new float[] { 1, 0, 0 }, new float[] { 0, 1, 0 } };
        int[] script = [.. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(1, 250)];
        var pooler = new SpeakerWindowPooler(3, 0.04, options, speechOnset: 0.5);
        foreach (var s in script) pooler.Add(voices[s], 0.9f);
        pooler.Complete();
        return (new Diarizer(options).Diarize(pooler.Windows, script.Length, [new(0, script.Length)], 0.04, 1, 6, overlapProbability: overlap),
            script.Length);
    }

    private static float[] OverlapAt(int frames, params (int Start, int End)[] runs)
    {
        var p = Enumerable.Repeat(0.05f, frames).ToArray();
        foreach (var (a, b) in runs) for (var f = a; f < b; f++) p[f] = 0.9f;
        return p;
    }

    [Fact]
    public void Overlapped_frames_get_the_nearest_other_speaker_as_a_second_voice()
    {
        var options = new DiarizationOptions();
        var (without, frames) = TalkOver(null, options);
        var (with, _) = TalkOver(OverlapAt(frames, (90, 110), (200, 205)), options);

        Assert.Null(without.SecondSpeaker);
        Assert.Equal(2, without.Turns.Count);
        Assert.Equal(without.FrameSpeaker, with.FrameSpeaker);   // the first voice of every frame is unchanged
        var second = with.SecondSpeaker!;
        for (var f = 90; f < 110; f++)
        {
            Assert.NotEqual(-1, second[f]);
            Assert.NotEqual(with.FrameSpeaker[f], second[f]);    // the other of the two speakers, on each side of the change
        }
        // 200-205 is 0.2 s (the minimum run) inside S2's turn, 4 s after S1 stopped: S1, the nearest other voice, speaks there too.
        Assert.All(Enumerable.Range(200, 5), f => Assert.Equal(0, second[f]));
        Assert.All(Enumerable.Range(0, 90).Concat(Enumerable.Range(110, 90)).Concat(Enumerable.Range(205, 145)), f => Assert.Equal(-1, second[f]));

        // S1's turn now reaches into S2's (extended over the overlap after the change), S2's starts earlier, and the
        // interjection at 200 is a turn of S1 of its own (too far from S1's other turn to join it).
        Assert.Equal(3, with.Turns.Count);
        var s1 = with.Turns.Where(t => t.Speaker == 0).ToList();
        var s2 = with.Turns.Single(t => t.Speaker == 1);
        Assert.True(s1[0].EndFrame > s2.StartFrame);
        Assert.Equal((200, 205), (s1[1].StartFrame, s1[1].EndFrame));
        Assert.True(with.Turns.Zip(with.Turns.Skip(1)).All(p => p.First.StartFrame <= p.Second.StartFrame));
    }

    [Fact]
    public void Short_overlap_runs_and_a_threshold_above_one_leave_one_voice_per_frame()
    {
        var (shortRun, frames) = TalkOver(OverlapAt(350, (200, 204)), new DiarizationOptions());
        Assert.All(shortRun.SecondSpeaker!, s => Assert.Equal(-1, s));   // 0.16 s < MinOverlapSeconds
        Assert.Equal(2, shortRun.Turns.Count);

        var (off, _) = TalkOver(OverlapAt(frames, (90, 110)), new DiarizationOptions { OverlapThreshold = 1.01 });
        Assert.Null(off.SecondSpeaker);
        Assert.Equal(2, off.Turns.Count);
    }

    [Fact]
    public void One_speaker_has_no_second_voice_to_give()
    {
        var options = new DiarizationOptions();
        var pooler = new SpeakerWindowPooler(3, 0.04, options, speechOnset: 0.5);
        for (var f = 0; f < 200; f++) pooler.Add([1f, 0, 0], 0.9f);
        pooler.Complete();
        var d = new Diarizer(options).Diarize(pooler.Windows, 200, [new(0, 200)], 0.04, 1, 6, overlapProbability: OverlapAt(200, (50, 100)));
        Assert.Single(d.SpeakerNames);
        Assert.Null(d.SecondSpeaker);
        Assert.Single(d.Turns);
    }

    [Theory]
    [InlineData(-0.1, 0.2, 5.0)]
    [InlineData(0.5, -1, 5.0)]
    [InlineData(0.5, 0.2, 0)]
    public void Invalid_overlap_settings_are_named(double threshold, double minSeconds, double searchSeconds)
    {
        var options = new DiarizationOptions { OverlapThreshold = threshold, MinOverlapSeconds = minSeconds, OverlapSearchSeconds = searchSeconds };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Contains("Analysis:PostProcessing:Diarization:", ex.Message, StringComparison.Ordinal);
    }
}

public class VoiceActivityTests
{
    [Fact]
    public void Hysteresis_bridges_pauses_and_drops_clicks()
    {
        var p = new List<float>();
        void Add(int n, float v) { for (var i = 0; i < n; i++) p.Add(v); }
        Add(10, 0.1f);
        Add(20, 0.9f); Add(5, 0.4f); Add(20, 0.8f);   // a dip above Offset stays speech
        Add(5, 0.1f);                                 // 0.2 s pause < MinSilence 0.3 s: bridged
        Add(20, 0.9f);
        Add(30, 0.1f);
        Add(3, 0.9f);                                 // 0.12 s click < MinSpeech 0.2 s: dropped
        Add(30, 0.1f);
        Add(25, 0.7f);
        var segments = VoiceActivityDetector.Detect(p, 0.04, new VadOptions());
        Assert.Equal([new FrameRange(10, 80), new FrameRange(143, 168)], segments);
    }
}

public class EmotionTimelineTests
{
    private static readonly string[] Labels = ["neutral", "happy", "sad", "angry"];

    private static List<float> Frames(IEnumerable<int> labels, double peak = 0.7)
    {
        var p = new List<float>();
        foreach (var l in labels)
            for (var c = 0; c < Labels.Length; c++) p.Add(c == l ? (float)peak : (float)((1 - peak) / (Labels.Length - 1)));
        return p;
    }

    [Fact]
    public void Flicker_is_smoothed_away_and_segments_keep_their_boundary()
    {
        // 8 s neutral then 8 s happy; every 7th frame flickers to angry, and a 0.4 s sad burst sits inside the neutral part.
        var labels = Enumerable.Range(0, 400).Select(f => f % 7 == 3 ? 3 : f < 200 ? 0 : 1).ToArray();
        for (var f = 80; f < 90; f++) labels[f] = 2;
        var timeline = new EmotionTimelineBuilder(new EmotionOptions()).Build(Frames(labels), Labels, [new FrameRange(0, 400)], null, 0.04);

        Assert.Equal(["neutral", "happy"], timeline.Select(s => s.Label));
        Assert.InRange(timeline[0].End, 7.8, 8.2);
        Assert.Equal(timeline[0].End, timeline[1].Start);
        Assert.Equal(1.0, timeline[0].Scores.Values.Sum(), 2);
        Assert.Equal(timeline[0].Scores["neutral"], timeline[0].Confidence);
    }

    [Fact]
    public void Silence_is_not_part_of_the_timeline()
    {
        var labels = Enumerable.Repeat(2, 300).ToArray();
        var timeline = new EmotionTimelineBuilder(new EmotionOptions()).Build(Frames(labels), Labels, [new FrameRange(0, 100), new FrameRange(200, 300)], null, 0.04);
        Assert.Equal(2, timeline.Count);
        Assert.All(timeline, s => Assert.Equal("sad", s.Label));
        Assert.Equal(4.0, timeline[0].End, 6);
        Assert.Equal(8.0, timeline[1].Start, 6);
    }

    [Fact]
    public void Without_smoothing_or_minimum_every_flicker_is_a_segment()
    {
        // Guards the test above: the same input really has flicker for the smoothing to remove.
        var labels = Enumerable.Range(0, 100).Select(f => f % 7 == 3 ? 3 : 0).ToArray();
        var raw = new EmotionTimelineBuilder(new EmotionOptions { SmoothingSeconds = 0, MinSegmentSeconds = 0 }).Build(Frames(labels), Labels, [new FrameRange(0, 100)], null, 0.04);
        Assert.True(raw.Count > 20);
    }
}
