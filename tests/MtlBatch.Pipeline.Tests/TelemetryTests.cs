using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>The pipeline's meter is process-wide: no other pipeline test may run while this one listens.</summary>
    public const string Name = "pipeline telemetry";
}

/// <summary>Issue 14, item 10: the pipeline's traces and metrics (PipelineTelemetry) on a real run: a good and a bad upload.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

    [Fact]
    public async Task Stage_durations_queue_age_outcomes_and_failures_by_code_are_measured_and_traced()
    {
        var measurements = new ConcurrentQueue<Measurement>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PipelineTelemetry.Name) listener.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var t in tags) copy[t.Key] = t.Value;
            measurements.Enqueue(new Measurement(i.Name, v, copy));
        }
        meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        meters.Start();
        var activities = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);

        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "telemetry-1" });
        await h.UploadAsync("tele/good.wav", TestMedia.Shared.Speech(0));
        await h.UploadAsync("tele/bad.wav", Encoding.UTF8.GetBytes("this is not audio at all"));
        var report = await h.RunWorkerOnceAsync();
        Assert.Equal(1, report.JobsSucceeded);
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("tele/bad.wav/error.json"));

        double[] Values(string instrument, string? tag = null, string? value = null) =>
            [.. measurements.Where(m => m.Instrument == instrument && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Select(m => m.Value)];
        foreach (var stage in new[] { PipelineTelemetry.StageIntake, PipelineTelemetry.StageDecode, PipelineTelemetry.StageInference, PipelineTelemetry.StageWrite })
            Assert.True(Values("mtlbatch.stage.duration", "stage", stage) is [_, ..] d && d.All(s => s >= 0), $"no {stage} duration");
        Assert.Equal(2, Values("mtlbatch.stage.duration", "stage", PipelineTelemetry.StageIntake).Length); // both uploads
        Assert.Single(Values("mtlbatch.stage.duration", "stage", PipelineTelemetry.StageInference));      // only the good one ran
        Assert.True(Values("mtlbatch.queue.age", "queue", StorageNames.InferenceQueue) is [var age] && age >= 0);
        Assert.Equal([1.0], Values("mtlbatch.jobs", "outcome", "succeeded"));
        Assert.Empty(Values("mtlbatch.jobs", "outcome", "failed")); // the bad upload never became an inference job
        var failure = Assert.Single(measurements, m => m.Instrument == "mtlbatch.failures");
        Assert.Equal(error.Code, failure.Tags["code"]);
        Assert.Equal(PipelineTelemetry.StageIntake, failure.Tags["stage"]);
        Assert.True(Values("mtlbatch.audio.duration") is [var seconds] && seconds > 1);

        var intake = activities.Where(a => a.OperationName == "intake").ToList();
        Assert.Equal(["tele/bad.wav", "tele/good.wav"], intake.Select(a => (string)a.GetTagItem("mtlbatch.upload")!).Order());
        Assert.Equal(ActivityStatusCode.Error, intake.Single(a => (string)a.GetTagItem("mtlbatch.upload")! == "tele/bad.wav").Status);
        var inference = Assert.Single(activities, a => a.OperationName == "inference");
        Assert.Equal("tele/good.wav", inference.GetTagItem("mtlbatch.recording"));
        Assert.Equal("telemetry-1", inference.GetTagItem("mtlbatch.model_version"));
        Assert.Equal(ActivityStatusCode.Unset, inference.Status);
    }
}

public sealed class TelemetrySettingsTests
{
    [Theory]
    [InlineData("Authorization=AAD;ClientId=1234-abcd", "1234-abcd")]
    [InlineData(" authorization = aad ; clientid = 1234-abcd ", "1234-abcd")]
    [InlineData("ClientId=1234-abcd", null)]          // not Entra ID authentication
    [InlineData("Authorization=AAD", null)]           // system-assigned identity: no client id to pass
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_managed_identity_comes_from_the_authentication_string(string? setting, string? clientId) =>
        Assert.Equal(clientId, MtlBatch.Functions.TelemetrySettings.ManagedIdentityClientId(setting));
}
