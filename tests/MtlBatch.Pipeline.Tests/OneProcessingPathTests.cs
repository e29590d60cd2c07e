using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Batch;
using MtlBatch.Inference.Processing;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Issue 14 item 1: `mtlbatch analyze` (folder sink) and the pipeline (blob sink) put a recording through the same
/// RecordingProcessor, so the same stereo call split into channels gives the same files and the same analysis.
/// </summary>
public sealed class OneProcessingPathTests
{
    [Fact]
    public async Task The_cli_and_the_pipeline_write_the_same_set_for_the_same_split_call()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Analysis:Channels"] = "Split",
            ["Analysis:ChannelRoles:0"] = "agent",
            ["Analysis:ChannelRoles:1"] = "customer",
        });
        var stereo = TestMedia.Shared.Stereo(1, 5, 3.0);
        await h.UploadAsync("calls/same.wav", stereo);
        await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(4));

        var output = Directory.CreateTempSubdirectory("mtlbatch-one-path-").FullName;
        try
        {
            var input = Path.Combine(output, "in", "same.wav");
            Directory.CreateDirectory(Path.GetDirectoryName(input)!);
            File.Copy(stereo, input);
            var limits = new InputLimits();
            var runner = new BatchAnalysisRunner(
                new AudioInputs(new ArchiveExpander(new ArchiveExpanderOptions { TempFolder = output }, limits, NullLogger<ArchiveExpander>.Instance), NullLogger<AudioInputs>.Instance),
                new AudioDecoder(new AudioDecoderOptions { TempFolder = output }, limits),
                new RecordingProcessor(await TestModel.Analyzers.GetAnalyzerAsync(CancellationToken.None)));
            var options = new AnalysisOptions { Channels = ChannelMode.Split, ChannelRoles = ["agent", "customer"] };
            var outcomes = await runner.RunAsync(input, Path.Combine(output, "out"), options, null, CancellationToken.None);
            Assert.True(Assert.Single(outcomes).Succeeded);
            var folder = outcomes[0].OutputDirectory;

            // The same files...
            var blobs = (await h.ListResultsAsync()).Keys.Where(k => k.StartsWith("calls/same.wav/", StringComparison.Ordinal))
                .Select(k => k["calls/same.wav/".Length..]).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(ResultSetRenderer.FileNames.Order(StringComparer.Ordinal), blobs);
            Assert.Equal(blobs, Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            // ...and the same analysis: one speaker per channel with its role, the same words at the same times.
            var cli = MtlJson.Deserialize<AnalysisResult>(await File.ReadAllTextAsync(Path.Combine(folder, ResultSchema.Files.Result)));
            var pipeline = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("calls/same.wav/result.json"));
            Assert.Equal([("ch1", "agent"), ("ch2", "customer")], pipeline.Speakers.Select(s => (s.Id, s.Role)));
            Assert.Equal(cli.Speakers.Select(x => (x.Id, x.Role)), pipeline.Speakers.Select(x => (x.Id, x.Role)));
            Assert.All(cli.Speakers.Zip(pipeline.Speakers), p => Assert.Equal(p.First.TotalSeconds, p.Second.TotalSeconds, 0.1));
            // The pipeline stores its decode as 16-bit PCM; the test speech is 22.05 kHz, so the resampled samples it analyses
            // differ from the CLI's float decode by up to half a bit: the same words, turns, times and speakers; confidences
            // (word and emotion) within 0.01.
            Assert.Equal(cli.Transcript.Text, pipeline.Transcript.Text);
            Assert.Equal(cli.Transcript.Words.Select(w => (w.Text, w.Start, w.End, w.Speaker)), pipeline.Transcript.Words.Select(w => (w.Text, w.Start, w.End, w.Speaker)));
            Assert.All(cli.Transcript.Words.Zip(pipeline.Transcript.Words), p => Assert.Equal(p.First.Confidence, p.Second.Confidence, 0.01));
            Assert.Equal(cli.Turns.Select(t => (t.Speaker, t.Role, t.Start, t.End, t.Text, t.Emotion)), pipeline.Turns.Select(t => (t.Speaker, t.Role, t.Start, t.End, t.Text, t.Emotion)));
            Assert.All(cli.Turns.Zip(pipeline.Turns), p => Assert.Equal(p.First.EmotionConfidence, p.Second.EmotionConfidence, 0.01));
            Assert.Equal(cli.Emotions.Timeline.Select(e => (e.Label, e.Start, e.End)), pipeline.Emotions.Timeline.Select(e => (e.Label, e.Start, e.End)));
            Assert.Equal(cli.Recording.Sha256, pipeline.Recording.Sha256);
            Assert.Equal(cli.Recording.DurationSeconds, pipeline.Recording.DurationSeconds, 0.01);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
