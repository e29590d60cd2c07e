using Microsoft.Azure.Functions.Worker;
using MtlBatch.Core;
using MtlBatch.Functions;

namespace MtlBatch.Pipeline.Tests;

public sealed class ReprocessTests
{
    [Fact]
    public async Task Bumping_the_model_version_makes_the_scheduled_reprocessing_rerun_exactly_the_stale_recordings()
    {
        string prefix;
        await using (var v1 = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "1.0.0" }))
        {
            prefix = v1.Prefix;
            await v1.UploadAsync("a/one.wav", TestMedia.Shared.Speech(0));
            await v1.UploadAsync("a/two.flac", TestMedia.Shared.Speech(1, "flac"));
            await v1.UploadAsync("bad.ogg", TestMedia.Corrupt(2000));
            await v1.RunWorkerOnceAsync();
            Assert.Equal(2, v1.AnalyzedRecordings.Count);
            await KeepStorageAsync(v1);
        }

        // Redeploy with a new model: a new upload is processed with it right away, the older two are now stale.
        await using var v2 = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "2.0.0" }, prefix: prefix);
        await v2.UploadAsync("b/three.mp3", TestMedia.Shared.Speech(2, "mp3"));
        await v2.RunWorkerOnceAsync();
        Assert.Equal(["b/three.mp3"], v2.AnalyzedRecordings);

        // The timer function, called the way the host calls it.
        var timer = new ReprocessOnSchedule(v2.Get<ReprocessScheduler>());
        var reports = await timer.Run(new TimerInfo { IsPastDue = false, ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddHours(-1), Next = DateTime.UtcNow.AddHours(1) } },
            CancellationToken.None);
        var run = Assert.Single(reports);
        Assert.True(run.Completed);
        Assert.Equal(4, run.Scanned);
        Assert.Equal(2, run.Stale);
        Assert.Equal(2, run.Resubmitted);

        await v2.RunWorkerOnceAsync();
        Assert.Equal(["a/one.wav", "a/two.flac", "b/three.mp3"], v2.AnalyzedRecordings.Order(StringComparer.Ordinal));
        foreach (var r in new[] { "a/one.wav", "a/two.flac", "b/three.mp3" })
        {
            var result = MtlJson.Deserialize<AnalysisResult>(await v2.ReadResultTextAsync($"{r}/result.json"));
            Assert.Equal("2.0.0", result.Model.Version);
        }

        // Nothing is stale any more: a second run enqueues nothing.
        var again = await v2.Get<ReprocessScheduler>().RunScheduledAsync(CancellationToken.None);
        Assert.Equal(0, again.Sum(r => r.Resubmitted));
    }

    [Fact]
    public async Task Reprocessing_is_throttled_by_the_queue_length_and_resumes_from_its_stored_continuation()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:ModelVersion"] = "1.0.0",
            ["Reprocess:MaxQueueLength"] = "1",
            ["Reprocess:PageSize"] = "2",
        });
        for (var i = 0; i < 5; i++) await h.UploadAsync($"r/{i}.wav", TestMedia.Shared.Speech(i));

        // Nothing processed yet: every upload is "never processed". The intake queue fills after two uploads.
        var scheduler = h.Get<ReprocessScheduler>();
        var first = await scheduler.RunAsync(new ReprocessRequest(), oneShot: false, CancellationToken.None);
        Assert.False(first.Completed);
        Assert.Equal("queue-full", first.StoppedBecause);
        Assert.Equal(2, first.Resubmitted);

        await h.RunWorkerOnceAsync();
        Assert.Equal(5, h.AnalyzedRecordings.Count);

        var resumed = await scheduler.RunAsync(new ReprocessRequest(), oneShot: false, CancellationToken.None);
        Assert.True(resumed.Completed);
        Assert.True(resumed.Scanned < 5, $"resumed run scanned {resumed.Scanned}: it should continue from the stored continuation");
        Assert.Equal(0, resumed.Resubmitted);
        Assert.Equal(5, h.AnalyzedRecordings.Count);
    }

    /// <summary>The first harness must not delete the storage the second one continues with.</summary>
    private static Task KeepStorageAsync(PipelineHarness h)
    {
        h.KeepStorage = true;
        return Task.CompletedTask;
    }
}
