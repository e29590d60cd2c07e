using Azure;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Core;
using Polly;
using Polly.Simmy;

namespace MtlBatch.Pipeline.Tests;

/// <summary>Failures and injected faults: poison handling, and Polly chaos on every storage call.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task A_job_whose_model_always_throws_ends_in_the_poison_queue_then_error_json_and_a_failed_ledger_row()
    {
        var throwing = new ThrowingAnalyzerSource();
        await using var h = await PipelineHarness.CreateAsync(
            new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "fault-1", ["Resilience:BreakerBreakDuration"] = "00:00:01" }, analyzer: throwing, countAnalyses: false);
        await h.UploadAsync("poison/call.wav", TestMedia.Shared.Speech(0));

        var report = await h.RunWorkerOnceAsync();

        var maxDequeue = h.Get<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value.MaxDequeueCount;
        Assert.Equal(5, maxDequeue);
        Assert.Equal(1, report.MovedToPoison);
        Assert.Equal(1, report.PoisonHandled);
        Assert.Equal(1, report.PoisonedJobsFailed);
        Assert.Equal(maxDequeue - 1, report.DeliveriesRetried);
        // The circuit opens after 4 faults (BreakerMinimumThroughput); deliveries it refuses are deferred, not counted,
        // so the job is poisoned only after 5 faults of its own.
        Assert.True(report.DeliveriesDeferred >= 1, report.ToString());
        Assert.Equal(maxDequeue, throwing.Calls);

        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("poison/call.wav/error.json"));
        Assert.Equal(ErrorCodes.InferenceFailed, error.Code);
        // The root cause survives the open circuit that answered the last deliveries.
        Assert.Contains("illegal memory access", error.Message, StringComparison.Ordinal);
        Assert.Equal(maxDequeue, error.Attempts);

        var job = await h.Get<JobQueryService>().GetByRecordingAsync("poison/call.wav", CancellationToken.None);
        Assert.Equal(nameof(JobState.Failed), job!.State);
        Assert.Equal(ErrorCodes.InferenceFailed, job.ErrorCode);
        Assert.False((await h.ListResultsAsync()).ContainsKey("poison/call.wav/result.json"));

        var events = await h.DrainEventsAsync();
        Assert.Equal([PipelineEventTypes.Failed], events.Select(e => e.Type));
        Assert.Equal(0, (await h.Storage.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task With_chaos_faults_on_20_percent_of_storage_calls_10_recordings_all_complete_exactly_once()
    {
        var chaos = new StorageChaosHook(injectionRate: 0.2, seed: 42);
        await using var h = await PipelineHarness.CreateAsync(
            new Dictionary<string, string?> { ["Resilience:StorageMaxRetries"] = "10" },
            services => services.AddSingleton<IResiliencePipelineHook>(chaos));
        var names = Enumerable.Range(0, 10).Select(i => $"chaos/rec{i:00}.wav").ToList();
        for (var i = 0; i < names.Count; i++)
            await h.UploadAsync(names[i], TestMedia.Shared.Speech(i));

        await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(3));

        Assert.True(chaos.Injected > 10, $"only {chaos.Injected} faults were injected");
        Assert.Equal(names, h.AnalyzedRecordings.Order(StringComparer.Ordinal));
        var blobs = await h.ListResultsAsync();
        foreach (var name in names)
        {
            Assert.True(blobs.ContainsKey($"{name}/result.json"), name);
            Assert.False(blobs.ContainsKey($"{name}/error.json"), name);
        }
        var events = await h.DrainEventsAsync();
        Assert.Equal(names, events.Select(e => e.Recording).Order(StringComparer.Ordinal));
        Assert.All(await h.JobRowsAsync(), r => Assert.Equal(nameof(JobState.Succeeded), r.State));
    }

    [Fact]
    public async Task While_the_circuit_is_open_good_recordings_are_deferred_and_still_succeed_and_slow_ones_fail_only_for_their_own_timeouts()
    {
        // Issue 14's reproduction, scaled down: a short inference timeout; two recordings that always run over it open
        // the circuit; three short clips queued behind them must not be poisoned by the open circuit. Two deliveries
        // make a poison here, and the break is long enough for many fast deliveries: before the fix the short clips'
        // deliveries failed against the open circuit and were poisoned within one break.
        // The real analyzer; recordings named long-* never finish (the inference timeout cancels them).
        var slow = new CountingAnalyzerSource(TestModel.Analyzers, delayFor: name => name.Contains("/long-", StringComparison.Ordinal) ? TimeSpan.FromMinutes(5) : null);
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Resilience:InferenceTimeout"] = "00:00:05", // generous: the short clips must never time out, even on a loaded machine
            ["Resilience:BreakerMinimumThroughput"] = "2",
            ["Resilience:BreakerBreakDuration"] = "00:00:15",
            ["Pipeline:MaxDequeueCount"] = "2",
        }, analyzer: slow, countAnalyses: false);
        string[] longOnes = ["a/long-1.wav", "a/long-2.wav"];
        string[] shortOnes = ["b/short-1.wav", "b/short-2.wav", "b/short-3.wav"];
        for (var i = 0; i < longOnes.Length; i++) await h.UploadAsync(longOnes[i], TestMedia.Shared.Speech(i));

        // As in the issue: the short clips are uploaded once the circuit is open (both long ones have timed out once, which
        // is the breaker's minimum throughput), so they meet it however loaded the machine is; the break outlasts their intake.
        var run = h.RunWorkerOnceAsync(TimeSpan.FromMinutes(4));
        var opened = System.Diagnostics.Stopwatch.StartNew();
        while ((await h.JobRowsAsync()).Count(r => r.ErrorCode == ErrorCodes.Timeout) < longOnes.Length)
        {
            Assert.True(opened.Elapsed < TimeSpan.FromMinutes(2), "the long recordings never timed out");
            await Task.Delay(100);
        }
        for (var i = 0; i < shortOnes.Length; i++) await h.UploadAsync(shortOnes[i], TestMedia.Shared.Speech(i + 2));
        var report = await run;

        var blobs = await h.ListResultsAsync();
        foreach (var name in shortOnes)
        {
            Assert.True(blobs.ContainsKey($"{name}/result.json"), $"{name}: {report}");
            Assert.False(blobs.ContainsKey($"{name}/error.json"), name);
        }
        Assert.True(report.DeliveriesDeferred >= shortOnes.Length, report.ToString()); // the circuit did open in front of them
        Assert.Equal(shortOnes, slow.Calls.Where(n => n.StartsWith("b/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)); // once each
        foreach (var name in longOnes)
        {
            var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync($"{name}/error.json"));
            Assert.Equal(ErrorCodes.Timeout, error.Code);
            // Two timeouts of its own each: deferred deliveries never reached the model and were not counted.
            Assert.Equal(2, slow.Calls.Count(n => n == name));
        }
        var rows = (await h.JobRowsAsync()).ToDictionary(r => r.Recording, StringComparer.Ordinal);
        Assert.All(shortOnes, n => Assert.Equal(nameof(JobState.Succeeded), rows[n].State));
        Assert.All(longOnes, n => Assert.Equal((nameof(JobState.Failed), 2), (rows[n].State, rows[n].Attempts)));
        Assert.Equal(longOnes.Length, report.Failures);
    }

    /// <summary>Adds Polly's chaos fault strategy INSIDE the storage retries: a 503 before the real call.</summary>
    private sealed class StorageChaosHook(double injectionRate, int seed) : IResiliencePipelineHook
    {
        private readonly Random _random = new(seed);
        private readonly Lock _gate = new();
        private int _injected;
        public int Injected => _injected;

        public void Configure(string pipelineKey, ResiliencePipelineBuilder builder)
        {
            if (pipelineKey != ResiliencePipelines.Storage) return;
            builder.AddChaosFault(new Polly.Simmy.Fault.ChaosFaultStrategyOptions
            {
                InjectionRate = injectionRate,
                Randomizer = () => { lock (_gate) return _random.NextDouble(); },
                FaultGenerator = _ =>
                {
                    Interlocked.Increment(ref _injected);
                    return new ValueTask<Exception?>(new RequestFailedException(503, "chaos: injected 503 Server Busy"));
                },
            });
            builder.AddChaosLatency(new Polly.Simmy.Latency.ChaosLatencyStrategyOptions
            {
                InjectionRate = 0.1,
                Latency = TimeSpan.FromMilliseconds(30),
            });
        }
    }
}
