using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Voices;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline.Tests;

/// <summary>Voiceprints through the pipeline on the real Azurite: the blob store, and a named speaker in a job's results.</summary>
public sealed class VoiceprintPipelineTests(GeneratedVoices voices) : IClassFixture<GeneratedVoices>
{
    private static Voiceprint Voice(string name, params float[] embedding) => new()
    {
        Name = name, ModelName = "mtl-small", ModelVersion = "2.1.0", Embedding = embedding, SpeechSeconds = 6, EnrolledAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task Blob_store_round_trips_and_refuses_to_overwrite_a_newer_document()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var options = new VoiceprintStoreOptions();
        var first = new BlobVoiceprintStore(h.Storage, options, NullLogger<BlobVoiceprintStore>.Instance);
        Assert.Empty((await first.LoadAsync(CancellationToken.None)).Voices);
        await first.SaveAsync(new VoiceprintDocument().With(Voice("Dana", 1, 0)), CancellationToken.None);

        var second = new BlobVoiceprintStore(h.Storage, options, NullLogger<BlobVoiceprintStore>.Instance);
        var loaded = await second.LoadAsync(CancellationToken.None);
        Assert.Equal([1f, 0f], Assert.Single(loaded.Voices).Embedding);
        await second.SaveAsync(loaded.With(Voice("Lee", 0, 1)), CancellationToken.None);

        // The first store's copy is now stale: saving it would lose Lee.
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => first.SaveAsync(new VoiceprintDocument(), CancellationToken.None));
        Assert.Equal(412, conflict.Status);
        Assert.Equal(["Dana", "Lee"], (await first.LoadAsync(CancellationToken.None)).Voices.Select(v => v.Name));
        Assert.True((await h.Storage.Results.GetBlobClient(options.BlobName).ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_job_names_an_enrolled_speaker_and_leaves_an_unknown_one_unnamed()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Voices:Store:Enabled"] = "true" });
        var analyzer = await TestModel.Analyzers.GetAnalyzerAsync(CancellationToken.None);
        var dana = await new VoiceEnroller(analyzer, new VoiceEnrollmentOptions()).EnrollAsync("Dana",
            [.. voices.Enrolment.Select(p => new EnrollmentSource(p, ct => WavReader.ReadBlocksAsync(p, cancellationToken: ct)))], new AnalysisOptions(), CancellationToken.None);
        await h.Storage.Results.CreateIfNotExistsAsync();
        await new BlobVoiceprintStore(h.Storage, new VoiceprintStoreOptions(), NullLogger<BlobVoiceprintStore>.Instance)
            .SaveAsync(new VoiceprintDocument().With(dana), CancellationToken.None);

        await h.UploadAsync("calls/dana.wav", voices.DanaProbe);
        await h.UploadAsync("calls/unknown.wav", voices.Unknown);
        await h.RunWorkerOnceAsync();

        var named = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("calls/dana.wav/" + ResultSchema.Files.Result));
        var main = named.Speakers.OrderByDescending(s => s.TotalSeconds).First();
        Assert.Equal("Dana", main.SpeakerName);
        Assert.InRange(main.SpeakerScore!.Value, new VoiceIdentificationOptions().Threshold, 1);
        Assert.Contains("<v Dana>", await h.ReadResultTextAsync("calls/dana.wav/" + ResultSchema.Files.Vtt), StringComparison.Ordinal);
        var json = await h.ReadResultTextAsync("calls/dana.wav/" + ResultSchema.Files.Result);
        Assert.True(ResultValidator.Default.Validate(ResultSchema.Files.Result, json).IsValid);

        var unknown = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("calls/unknown.wav/" + ResultSchema.Files.Result));
        Assert.NotEmpty(unknown.Speakers);
        Assert.All(unknown.Speakers, s => Assert.Null(s.SpeakerName));
    }

    [Fact]
    public async Task A_threshold_outside_the_cosine_range_stops_the_pipeline_at_start_up()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Voices:Threshold"] = "1.5" });
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => PipelineOptionsValidation.ValidateAll(h.Services));
        Assert.Contains("Voices:Threshold = 1.5", PipelineOptionsValidation.Describe(error), StringComparison.Ordinal);
    }
}
