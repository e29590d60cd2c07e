using System.Diagnostics;
using System.Globalization;
using MtlBatch.Pipeline;
using Xunit.Abstractions;

namespace MtlBatch.Reliability.Tests;

/// <summary>A benchmark-sized test: runs only with MTLBATCH_LOAD=1 (about 10 minutes on 2 busy cores).</summary>
public sealed class LoadFactAttribute : FactAttribute
{
    public LoadFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MTLBATCH_LOAD") != "1")
            Skip = "load test: set MTLBATCH_LOAD=1 (MTLBATCH_LOAD_JOBS and MTLBATCH_LOAD_CONCURRENCY optional) to run it";
    }
}

/// <summary>
/// Issue 6, part 4: 1,000 short jobs through Azurite with the local worker: 0 lost, 0 duplicated; throughput and
/// memory printed (docs/reliability.md and docs/benchmarks.md record the measured numbers).
/// <c>MTLBATCH_LOAD=1 nice -n 10 dotnet test tests/MtlBatch.Reliability.Tests --filter LoadTests --logger "console;verbosity=detailed"</c>
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    [LoadFact]
    public async Task Thousand_short_jobs_through_azurite_none_lost_none_duplicated()
    {
        var jobs = int.Parse(Environment.GetEnvironmentVariable("MTLBATCH_LOAD_JOBS") ?? "1000", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Environment.GetEnvironmentVariable("MTLBATCH_LOAD_CONCURRENCY") ?? "2", CultureInfo.InvariantCulture);
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Worker:MaxConcurrentJobs"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["Worker:PollInterval"] = "00:00:00.200",
        });
        var names = Enumerable.Range(0, jobs).Select(i => $"load/{i / 100:00}/rec{i:0000}.wav").ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await rig.UploadAsync(names[i], SpeechClips.Get(i)));
        await TestModel.Analyzers.GetAnalyzerAsync(CancellationToken.None); // loaded before the clock, like a warm instance

        using var process = Process.GetCurrentProcess();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        long peakWorkingSet = workingSetBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                try { await Task.Delay(500, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var clock = Stopwatch.StartNew();
        var report = await rig.RunWorkerOnceAsync(TimeSpan.FromMinutes(60));
        var wall = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        GC.Collect();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        // 0 lost, 0 duplicated: one complete result set and one Succeeded ledger row per upload, one analysis each.
        await FaultTests.AssertExactlyOneCompleteResultSetAsync(rig.Storage, names.Order(StringComparer.Ordinal).ToList());
        var duplicates = rig.Counting!.Calls.Count - rig.Counting!.Calls.Distinct().Count();
        var events = await rig.DrainEventsAsync();
        var rows = await rig.JobRowsAsync();
        var audioSeconds = rows.Sum(r => r.DurationSeconds);

        var text = string.Create(CultureInfo.InvariantCulture, $"""
            load: {jobs} jobs ({audioSeconds:F0} s of audio, clips of 0.9-1.9 s), worker concurrency {concurrency}, model {Path.GetFileName(RepoPaths.Model)}, device cpu
            worker report: {report}
            lost {jobs - rows.Count(r => r.State == nameof(JobState.Succeeded))}, analysed twice {duplicates}, distinct success events {events.Select(e => e.Id).Distinct().Count()} (messages {events.Count})
            wall {wall:F1} s -> {jobs / wall * 60:F0} jobs/min, {audioSeconds / wall:F1}x realtime end to end
            per job: decode {rows.Average(r => r.DecodeSeconds):F3} s, inference {rows.Average(r => r.InferenceSeconds):F3} s, other (storage round trips, ledger, events) {wall / jobs - rows.Average(r => r.DecodeSeconds) - rows.Average(r => r.InferenceSeconds) / concurrency:F3} s (intake runs one upload at a time)
            memory: working set {workingSetBefore / 1048576} MB before, peak {peakWorkingSet / 1048576} MB during the run; managed heap {heapBefore / 1048576.0:F1} MB before, {heapAfter / 1048576.0:F1} MB after
            """);
        output.WriteLine(text);
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "mtlbatch-load-report.txt"), text);

        Assert.Equal(0, duplicates);
        Assert.Equal(jobs, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(jobs, report.JobsSucceeded);
    }
}
