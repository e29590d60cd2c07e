using System.CommandLine;
using MtlBatch.Cli.Commands;
using MtlBatch.Core;

namespace MtlBatch.Inference.Tests;

/// <summary>A test that needs the trained model; skipped (with the reason) until models/mtl-small.onnx is committed.</summary>
public sealed class TrainedModelFactAttribute : FactAttribute
{
    public TrainedModelFactAttribute()
    {
        if (!File.Exists(TestPaths.ShippedModel)) Skip = "needs the trained models/mtl-small.onnx, which is not committed yet";
    }
}

/// <summary>
/// `mtlbatch analyze` end to end, in-process through the command: real ffmpeg decoding, the real ONNX model (the trained one
/// when committed, else the untrained dev model for the structural checks), real files.
/// </summary>
public sealed class AnalyzeCommandTests(ConversationFixture inputs) : IClassFixture<ConversationFixture>, IDisposable
{
    private readonly List<string> _folders = [];

    private string NewFolder(string prefix)
    {
        var folder = TestPaths.NewTempDir(prefix);
        _folders.Add(folder);
        return folder;
    }

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<int> Analyze(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(new AnalyzeCommand().Build());
        return await root.Parse(["analyze", .. args]).InvokeAsync();
    }

    private static void AssertValidResultSet(string folder, double duration)
    {
        foreach (var f in new[] { ResultSchema.Files.Transcript, ResultSchema.Files.Speakers, ResultSchema.Files.Emotions, ResultSchema.Files.Result })
            Assert.True(File.Exists(Path.Combine(folder, f)), $"{f} missing in {folder}");
        var result = MtlJson.Deserialize<AnalysisResult>(File.ReadAllText(Path.Combine(folder, ResultSchema.Files.Result)));
        MtlJson.Deserialize<TranscriptDocument>(File.ReadAllText(Path.Combine(folder, ResultSchema.Files.Transcript)));
        MtlJson.Deserialize<SpeakersDocument>(File.ReadAllText(Path.Combine(folder, ResultSchema.Files.Speakers)));
        MtlJson.Deserialize<EmotionsDocument>(File.ReadAllText(Path.Combine(folder, ResultSchema.Files.Emotions)));

        Assert.Equal(duration, result.Recording.DurationSeconds, 1);
        Assert.Equal("cpu", result.Processing.Device);
        Assert.Matches("^[0-9a-f]{64}$", result.Recording.Sha256);
        var words = result.Transcript.Words;
        Assert.All(words, w => Assert.InRange(w.Start, 0, w.End));
        Assert.All(words, w => Assert.InRange(w.End, w.Start, result.Recording.DurationSeconds));
        Assert.True(words.Zip(words.Skip(1)).All(p => p.First.Start <= p.Second.Start), "word start times must not decrease");
        Assert.Equal(string.Join(' ', words.Select(w => w.Text)), result.Transcript.Text);
        Assert.All(result.Turns, t => Assert.Contains(result.Speakers, s => s.Id == t.Speaker));
    }

    [Fact]
    public async Task Mp3_conversation_gets_a_full_result_set()
    {
        var output = NewFolder("mtlbatch-analyze-mp3");
        Assert.Equal(0, await Analyze(inputs.Mp3, "--out", output, "--model", TestPaths.AnyModel, "--device", "cpu", "--beam", "4"));
        AssertValidResultSet(Path.Combine(output, "conversation.mp3"), ConversationFixture.Duration(inputs.Mp3));
    }

    [Fact]
    public async Task Archive_outputs_mirror_the_entry_paths()
    {
        var output = NewFolder("mtlbatch-analyze-zip");
        Assert.Equal(0, await Analyze(inputs.Zip, "--out", output, "--model", TestPaths.AnyModel, "--device", "cpu", "--beam", "1"));
        AssertValidResultSet(Path.Combine(output, "batch", "calls", "day1", "conversation.mp3"), ConversationFixture.Duration(inputs.Mp3));
        AssertValidResultSet(Path.Combine(output, "batch", "calls", "day2", "second.mp3"), ConversationFixture.Duration(inputs.Mp3));
    }

    [Fact]
    public async Task A_failing_input_gets_error_json_and_a_non_zero_exit()
    {
        var folder = NewFolder("mtlbatch-analyze-mixed");
        File.Copy(inputs.Mp3, Path.Combine(folder, "good.mp3"));
        File.WriteAllText(Path.Combine(folder, "broken.mp3"), "this is not audio at all");
        var output = NewFolder("mtlbatch-analyze-mixed-out");

        Assert.Equal(1, await Analyze(folder, "--out", output, "--model", TestPaths.AnyModel, "--beam", "1"));
        Assert.True(File.Exists(Path.Combine(output, "good.mp3", ResultSchema.Files.Result)));
        var error = MtlJson.Deserialize<ErrorRecord>(File.ReadAllText(Path.Combine(output, "broken.mp3", ResultSchema.Files.Error)));
        Assert.Equal("broken.mp3", error.Recording);
        Assert.Equal(ErrorCodes.UnsupportedMedia, error.Code);
        Assert.False(File.Exists(Path.Combine(output, "broken.mp3", ResultSchema.Files.Result)));
    }

    [Fact]
    public async Task Missing_model_is_a_usage_error()
    {
        Assert.Equal(2, await Analyze(inputs.Mp3, "--out", NewFolder("mtlbatch-nomodel"), "--model", "/nonexistent/model.onnx"));
    }

    [Fact]
    public async Task Split_channels_merge_two_channel_analyses_in_time_order()
    {
        // Structure with any model: one speaker per channel, everything merged and sorted.
        var output = NewFolder("mtlbatch-analyze-split-any");
        Assert.Equal(0, await Analyze(inputs.Stereo, "--out", output, "--model", TestPaths.AnyModel, "--channels", "split", "--beam", "1"));
        var result = MtlJson.Deserialize<AnalysisResult>(File.ReadAllText(Path.Combine(output, "stereo.wav", ResultSchema.Files.Result)));
        Assert.Equal(["ch1", "ch2"], result.Speakers.Select(s => s.Id));
        Assert.Equal(2, result.Recording.Channels);
        Assert.All(result.Turns, t => Assert.Contains(t.Speaker, new[] { "ch1", "ch2" }));
        Assert.All(result.Transcript.Words, w => Assert.Contains(w.Speaker, new[] { "ch1", "ch2" }));
        Assert.True(result.Turns.Zip(result.Turns.Skip(1)).All(p => p.First.Start <= p.Second.Start));
        Assert.True(result.Transcript.Words.Zip(result.Transcript.Words.Skip(1)).All(p => p.First.Start <= p.Second.Start));
        Assert.True(result.VoiceActivity.Zip(result.VoiceActivity.Skip(1)).All(p => p.First.End < p.Second.Start), "voice activity is a union of disjoint spans");
    }

    [TrainedModelFact]
    public async Task Split_channels_name_speakers_by_channel_with_turns_at_the_right_times()
    {
        var output = NewFolder("mtlbatch-analyze-split");
        Assert.Equal(0, await Analyze(inputs.Stereo, "--out", output, "--model", TestPaths.ShippedModel, "--channels", "split"));
        var result = MtlJson.Deserialize<AnalysisResult>(File.ReadAllText(Path.Combine(output, "stereo.wav", ResultSchema.Files.Result)));

        Assert.Equal(["ch1", "ch2"], result.Speakers.Select(s => s.Id));
        var ch1 = result.Turns.Where(t => t.Speaker == "ch1").ToList();
        var ch2 = result.Turns.Where(t => t.Speaker == "ch2").ToList();
        Assert.NotEmpty(ch1);
        Assert.NotEmpty(ch2);
        Assert.All(ch1, t => Assert.InRange(t.Start, 0.0, inputs.VoiceAEnd + 0.5));
        Assert.All(ch2, t => Assert.InRange(t.Start, inputs.VoiceBStart - 0.5, inputs.VoiceBEnd + 0.5));
        Assert.True(result.Turns.Zip(result.Turns.Skip(1)).All(p => p.First.Start <= p.Second.Start));
        Assert.All(result.Transcript.Words, w => Assert.Equal(w.Start < inputs.VoiceAEnd + 0.5 ? "ch1" : "ch2", w.Speaker));
    }

    [Theory]
    [InlineData("--channel-roles", "agent,customer")]          // roles need --channels split
    [InlineData("--redact", "card,ssn")]
    [InlineData("--redact-phrases", "/nonexistent/phrases.txt")]
    [InlineData("--redacted-audio", null)]                     // nothing to redact
    public async Task Bad_role_and_redaction_options_are_usage_errors(string option, string? value)
    {
        string[] extra = value is null ? [option] : [option, value];
        Assert.Equal(2, await Analyze([inputs.Mp3, "--out", NewFolder("mtlbatch-badopt"), "--model", TestPaths.AnyModel, .. extra]));
    }

    [Fact]
    public async Task Roles_analytics_and_redaction_come_out_of_analyze_and_the_redacted_word_is_written_nowhere()
    {
        // The model is weak, so what it says is not asserted: the first run finds a word it emits, the second redacts that
        // word as a phrase and must not write it into any file.
        var plain = NewFolder("mtlbatch-analyze-roles");
        Assert.Equal(0, await Analyze(inputs.Stereo, "--out", plain, "--model", TestPaths.AnyModel, "--channels", "split", "--channel-roles", "agent,customer", "--beam", "1"));
        var first = MtlJson.Deserialize<AnalysisResult>(File.ReadAllText(Path.Combine(plain, "stereo.wav", ResultSchema.Files.Result)));
        Assert.Equal([("ch1", "agent"), ("ch2", "customer")], first.Speakers.Select(s => (s.Id, s.Role)));
        Assert.All(first.Turns, t => Assert.Equal(t.Speaker == "ch1" ? "agent" : "customer", t.Role));
        Assert.Equal(["agent", "customer"], first.Analytics!.Speakers.Select(s => s.Role));
        Assert.Null(first.Redaction);
        Assert.False(File.Exists(Path.Combine(plain, "stereo.wav", ResultSchema.Files.RedactedAudio)));
        var vtt = File.ReadAllText(Path.Combine(plain, "stereo.wav", ResultSchema.Files.Vtt));
        Assert.DoesNotContain("<v ch", vtt, StringComparison.Ordinal);
        if (first.Transcript.Words.Count > 0) Assert.Matches("<v (Agent|Customer)>", vtt);

        var skeleton = Reports.ReportHtml.Render(first with { Transcript = new Transcript { Text = "", Words = [] }, Turns = [] });
        var secret = first.Transcript.Words.Select(w => w.Text).Where(w => w.Length >= 3 && !skeleton.Contains(w, StringComparison.Ordinal))
            .OrderByDescending(w => w.Length).ThenBy(w => w, StringComparer.Ordinal).FirstOrDefault();
        Assert.NotNull(secret); // any model emits some word of three letters or more on 6 s of speech
        var phrases = Path.Combine(NewFolder("mtlbatch-phrases"), "phrases.txt");
        File.WriteAllText(phrases, "# test phrase list\n\n" + secret!.ToUpperInvariant() + "\n");

        var redacted = NewFolder("mtlbatch-analyze-redacted");
        Assert.Equal(0, await Analyze(inputs.Stereo, "--out", redacted, "--model", TestPaths.AnyModel, "--channels", "split", "--channel-roles", "agent,customer",
            "--beam", "1", "--redact", "card,phone,email", "--redact-phrases", phrases, "--redacted-audio"));
        var folder = Path.Combine(redacted, "stereo.wav");
        foreach (var file in Directory.GetFiles(folder).Where(f => !f.EndsWith(".wav", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{Path.GetFileName(file)} contains the redacted word '{secret}'");
            if (Path.GetFileName(file) is not (ResultSchema.Files.Emotions or ResultSchema.Files.Result or ResultSchema.Files.Speakers or ResultSchema.Files.Report))
                Assert.Contains("[REDACTED:PHRASE]", text, StringComparison.Ordinal);
            if (file.EndsWith(".json", StringComparison.Ordinal))
                Assert.True(Reports.ResultValidator.Default.Validate(Path.GetFileName(file), text).IsValid, file);
        }
        var result = MtlJson.Deserialize<AnalysisResult>(File.ReadAllText(Path.Combine(folder, ResultSchema.Files.Result)));
        Assert.Equal(["card", "phone", "email", "phrases"], result.Redaction!.Categories);
        Assert.Equal(ResultSchema.Files.RedactedAudio, result.Redaction.Audio);
        var spans = result.Redaction.Spans.Where(s => s.Label == "PHRASE").ToList();
        Assert.Equal(first.Transcript.Words.Count(w => w.Text == secret), spans.Count);
        Assert.Equal(spans.Count, result.Transcript.Words.Count(w => w.Text == "[REDACTED:PHRASE]"));

        // redacted.wav: the analysed (mixed) audio, zero inside every span.
        var audio = new List<float>();
        await foreach (var block in MtlBatch.Audio.WavReader.ReadBlocksAsync(Path.Combine(folder, ResultSchema.Files.RedactedAudio), 16000, CancellationToken.None))
            audio.AddRange(block);
        Assert.Equal(result.Recording.DurationSeconds, audio.Count / 16000.0, 1);
        foreach (var span in spans)
            Assert.All(audio.Skip((int)Math.Ceiling(span.Start * 16000)).Take((int)((span.End - span.Start) * 16000) - 1), s => Assert.Equal(0f, s));

        // Analysed again into the same folder without redaction: the old redacted.wav is not left beside the new set.
        Assert.Equal(0, await Analyze(inputs.Stereo, "--out", redacted, "--model", TestPaths.AnyModel, "--channels", "split", "--beam", "1"));
        Assert.False(File.Exists(Path.Combine(folder, ResultSchema.Files.RedactedAudio)));
    }
}
