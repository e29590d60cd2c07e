using MtlBatch.Core;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

public class StitchingTests
{
    private static readonly string[] Vocabulary = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
        "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"];

    /// <summary>
    /// 20.5 s with 4 s chunks and 1 s context: chunk k starts at 2k s and nominally hands over at 2k+3 s. One word is
    /// centred on every nominal hand-over (straddling the chunk boundary) and another word sits between hand-overs.
    /// </summary>
    private static (List<PlacedWord> Words, int[] Emissions, long Samples) Conversation()
    {
        const long samples = 20_500 * 16;
        var ctcFrames = (int)(samples / 320) + 4;
        var words = new List<PlacedWord>();
        var k = 0;
        for (var cut = 150; cut + 60 < ctcFrames; cut += 100)
        {
            var straddling = Vocabulary[k++ % Vocabulary.Length];
            words.Add(new PlacedWord(straddling, cut - (straddling.Length - 1) * 3 / 2, Stride: 3));
            var between = Vocabulary[k++ % Vocabulary.Length]; between = between[..Math.Min(5, between.Length)];
            words.Add(new PlacedWord(between, cut + 44, Stride: 3));
        }
        return (words, Emissions(ctcFrames, words), samples);
    }

    private static async IAsyncEnumerable<float[]> Blocks(float[] audio, int blockSize)
    {
        for (var i = 0; i < audio.Length; i += blockSize)
        {
            await Task.Yield();
            yield return audio[i..Math.Min(audio.Length, i + blockSize)];
        }
    }

    private static RecordingInfo Recording(long samples) =>
        new() { Name = "synthetic.wav", DurationSeconds = samples / 16000.0, SampleRate = 16000, Channels = 1, Sha256 = new string('a', 64) };

    [Theory]
    [InlineData(1, 3, 1000)]
    [InlineData(8, 3, 16000)]
    [InlineData(8, 1, 777)]
    [InlineData(4, 4, 50_000)]
    public async Task Words_across_chunk_boundaries_are_decoded_exactly_once(int beam, int batch, int blockSize)
    {
        var (words, emissions, samples) = Conversation();
        var model = new ScriptedModel(emissions, _ => (0, true, 0), samples / 640 + 1);
        var analyzer = new SpeechAnalyzer(model, new PostProcessingOptions());
        var options = new AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = batch, BeamWidth = beam };

        var result = await analyzer.AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), blockSize), Recording(samples), options, null, CancellationToken.None);

        Assert.True(model.Calls > 1);
        Assert.Equal(words.Select(w => w.Text), result.Transcript.Words.Select(w => w.Text));
        for (var i = 0; i < words.Count; i++)
        {
            Assert.Equal(words[i].StartFrame * 0.02, result.Transcript.Words[i].Start, 3);
            Assert.Equal((words[i].LastFrame + 1) * 0.02, result.Transcript.Words[i].End, 3);
        }
        Assert.Equal(string.Join(' ', words.Select(w => w.Text)), result.Transcript.Text);
        Assert.Equal(words.Sum(w => w.Text.Length), result.Phonemes.Count); // one scripted phone per letter, none lost or doubled
    }

    [Fact]
    public async Task The_benchmark_replay_gives_the_recorded_analysis_without_running_the_network_again()
    {
        var (words, emissions, samples) = Conversation();
        var model = new ScriptedModel(emissions, _ => (0, true, 0), samples / 640 + 1);
        var replay = Benchmarks.ReplayChunkModel.Record(model);
        var analyzer = new SpeechAnalyzer(replay, new PostProcessingOptions());
        var options = new AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 2, BeamWidth = 8 };

        var recorded = await analyzer.AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 16000), Recording(samples), options, null, CancellationToken.None);
        var calls = model.Calls;
        replay.StartReplay();
        var timings = new StageTimings();
        var replayed = await analyzer.AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 16000), Recording(samples), options, null, timings, CancellationToken.None);

        Assert.Equal(calls, model.Calls); // the network was not run again
        Assert.True(replay.RecordedChunks > 1);
        Assert.Equal(words.Select(w => w.Text), replayed.Transcript.Words.Select(w => w.Text));
        Assert.Equal(recorded.Transcript.Words, replayed.Transcript.Words);
        Assert.True(timings.CtcDecoding > TimeSpan.Zero);
        // Audio it never saw is refused rather than answered with some other chunk's outputs.
        var silence = new float[samples];
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            analyzer.AnalyzeAsync(Blocks(silence, 16000), Recording(samples), options, null, CancellationToken.None));
    }

    [Fact]
    public async Task Keeping_chunk_edges_would_show_up_as_garbage()
    {
        // Guards the test above: with 0.3 s of garbage at context-less chunk edges, a cut placed at the very edge of a chunk
        // (no context kept) would surface 'q' words. Zero context makes every hand-over such an edge.
        var (_, emissions, samples) = Conversation();
        var model = new ScriptedModel(emissions, _ => (0, true, 0), samples / 640 + 1);
        var analyzer = new SpeechAnalyzer(model, new PostProcessingOptions());
        var options = new AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 0, BatchSize = 2, BeamWidth = 1 };
        var result = await analyzer.AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 16000), Recording(samples), options, null, CancellationToken.None);
        Assert.Contains(result.Transcript.Words, w => w.Text.Contains('q'));
    }

    [Fact]
    public async Task Recordings_shorter_than_a_chunk_run_unpadded_in_one_call()
    {
        var words = new List<PlacedWord> { new("hello", 20), new("there", 80) };
        const long samples = 40_000; // 2.5 s
        var model = new ScriptedModel(Emissions(130, words), _ => (0, true, 0), samples / 640 + 1);
        var result = await new SpeechAnalyzer(model, new PostProcessingOptions())
            .AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 4000), Recording(samples), new AnalysisOptions(), null, CancellationToken.None);
        Assert.Equal(1, model.Calls);
        Assert.Equal(["hello", "there"], result.Transcript.Words.Select(w => w.Text));
        Assert.All(result.Transcript.Words, w => Assert.InRange(w.End, w.Start, 2.5));
    }

    [Fact]
    public async Task Empty_audio_is_an_input_error()
    {
        var model = new ScriptedModel(new int[10], _ => (0, true, 0), 1);
        var error = await Assert.ThrowsAsync<MtlBatchException>(() => new SpeechAnalyzer(model, new PostProcessingOptions())
            .AnalyzeAsync(Blocks([], 100), Recording(0), new AnalysisOptions(), null, CancellationToken.None));
        Assert.Equal(ErrorCodes.EmptyAudio, error.Code);
    }

    [Fact]
    public async Task Speakers_turns_and_emotions_come_out_of_the_stream()
    {
        // Voice 2 speaks the first 10 s (happy), voice 0 the rest (sad); speech only around words.
        var (words, emissions, samples) = Conversation();
        bool Speech(long frame) => words.Any(w => frame * 2 >= w.StartFrame - 10 && frame * 2 <= w.LastFrame + 10);
        var model = new ScriptedModel(emissions, f => (f < 250 ? 2 : 0, Speech(f), f < 250 ? 1 : 2), samples / 640 + 1);
        var options = new AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 2, BeamWidth = 4 };
        var result = await new SpeechAnalyzer(model, new PostProcessingOptions())
            .AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 16000), Recording(samples), options, null, CancellationToken.None);

        Assert.Equal(["S1", "S2"], result.Speakers.Select(s => s.Id));
        Assert.Equal(["S1", "S2"], result.Turns.Select(t => t.Speaker));
        Assert.InRange(result.Turns[0].End, 9.0, 10.5);
        Assert.Equal(("happy", "sad"), (result.Turns[0].Emotion, result.Turns[1].Emotion));
        Assert.All(result.Transcript.Words.Where(w => w.End < 9.5), w => Assert.Equal("S1", w.Speaker));
        Assert.All(result.Transcript.Words.Where(w => w.Start > 10.5), w => Assert.Equal("S2", w.Speaker));
        Assert.Equal(string.Join(' ', result.Transcript.Words.Select(w => w.Text)), string.Join(' ', result.Turns.Select(t => t.Text)));
        Assert.Equal(["happy", "sad"], result.Emotions.Timeline.Select(e => e.Label).Distinct());
        // Away from the change at 10 s (diarization resolves it to about a window), label and speaker agree.
        Assert.All(result.Emotions.Timeline.Where(e => e.End < 9.5 || e.Start > 10.5), e => Assert.Equal(e.Label == "happy" ? "S1" : "S2", e.Speaker));
        Assert.NotEmpty(result.VoiceActivity);
        Assert.All(result.VoiceActivity, v => Assert.True(v.End > v.Start));
    }

    [Fact]
    public async Task Overlapped_speech_from_the_model_gives_both_speakers_a_turn_there()
    {
        // The same conversation, all of it voiced, with the model reporting two voices from 9.2 s to 10.8 s (frames 230-270)
        // around the change at 10 s; the words keep their one speaker.
        var (_, emissions, samples) = Conversation();
        var analyzer = (Func<long, bool>? overlap) => new SpeechAnalyzer(
            new ScriptedModel(emissions, f => (f < 250 ? 2 : 0, true, 0), samples / 640 + 1, overlapScript: overlap), new PostProcessingOptions());
        var options = new AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 2, BeamWidth = 4 };
        async Task<AnalysisResult> Run(Func<long, bool>? overlap) => await analyzer(overlap)
            .AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), 16000), Recording(samples), options, null, CancellationToken.None);

        var single = await Run(null);
        var both = await Run(f => f is >= 230 and < 270);

        Assert.Equal(["S1", "S2"], single.Turns.Select(t => t.Speaker));
        Assert.True(single.Turns[0].End <= single.Turns[1].Start);
        Assert.Equal(["S1", "S2"], both.Turns.Select(t => t.Speaker));
        var (s1, s2) = (both.Turns[0], both.Turns[1]);
        Assert.True(s1.End > s2.Start + 1.0, $"S1 {s1.Start}-{s1.End}, S2 {s2.Start}-{s2.End}: the turns overlap by the 1.6 s of two voices");
        Assert.InRange(s2.Start, 9.1, 9.4);
        Assert.InRange(s1.End, 10.6, 10.9);
        Assert.Equal(single.Transcript.Words.Select(w => (w.Text, w.Speaker)), both.Transcript.Words.Select(w => (w.Text, w.Speaker)));
        Assert.True(both.Analytics!.OverlapSeconds > 1.0, $"overlap {both.Analytics.OverlapSeconds} s");
        Assert.Equal(single.Speakers.Sum(s => s.TotalSeconds) + 1.6, both.Speakers.Sum(s => s.TotalSeconds), 1);
    }
}

public class StreamingApiTests
{
    [Fact]
    public async Task Process_streams_the_same_words_as_the_full_analysis_before_the_end()
    {
        var words = Enumerable.Range(0, 12).Select(i => new Synthetic.PlacedWord(new string((char)('a' + i), 3), 30 + i * 80)).ToList();
        const long samples = 20 * 16000;
        var model = new ScriptedModel(Synthetic.Emissions(1010, words), _ => (0, true, 0), samples / 640);
        var analyzer = new SpeechAnalyzer(model, new PostProcessingOptions());
        var options = new MtlBatch.Core.AnalysisOptions { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 1 };
        var recording = new MtlBatch.Core.RecordingInfo { Name = "s", DurationSeconds = 20, SampleRate = 16000, Channels = 1, Sha256 = new string('a', 64) };

        // The audio after 12 s is only delivered once the first word has come out: a non-streaming implementation would
        // wait for the end of the audio and time out here.
        var firstWord = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streamed = new List<SegmentPartial>();
        await foreach (var partial in analyzer.ProcessAsync(Blocks(ScriptedModel.Audio(samples), firstWord.Task), recording, options, CancellationToken.None))
        {
            streamed.Add(partial);
            firstWord.TrySetResult();
        }
        var full = await analyzer.AnalyzeAsync(Blocks(ScriptedModel.Audio(samples), Task.CompletedTask), recording, options, null, CancellationToken.None);

        Assert.Equal(full.Transcript.Words.Select(w => (w.Text, w.Start, w.End)), streamed.Select(p => (p.Text, Math.Round(p.Start, 3), Math.Round(p.End, 3))));
        Assert.Equal(words.Select(w => w.Text), streamed.Select(p => p.Text));
    }

    private static async IAsyncEnumerable<float[]> Blocks(float[] audio, Task gate)
    {
        for (var i = 0; i < audio.Length; i += 16000)
        {
            if (i >= 12 * 16000) await gate.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Yield();
            yield return audio[i..Math.Min(audio.Length, i + 16000)];
        }
    }
}
