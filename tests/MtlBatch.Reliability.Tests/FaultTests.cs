using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Core;
using MtlBatch.Pipeline;
using MtlBatch.Reports;
using Polly;
using Polly.Simmy;
using Xunit.Abstractions;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// Issue 6, part 3: storage chaos during a 100-recording run, and a worker killed with SIGKILL mid-job. (An inference
/// exception ending in the poison queue with error.json and a Failed ledger row is proven by
/// tests/MtlBatch.Pipeline.Tests/FaultTests.A_job_whose_model_always_throws_ends_in_the_poison_queue_then_error_json_and_a_failed_ledger_row.)
/// </summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_storage_faults_on_20_percent_and_latency_on_30_percent_of_calls_100_recordings_each_get_exactly_one_complete_result_set()
    {
        var chaos = new StorageChaos(faultRate: 0.2, latencyRate: 0.3, seed: 6);
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Resilience:StorageMaxRetries"] = "8" },
            services => services.AddSingleton<IResiliencePipelineHook>(chaos));
        var names = Enumerable.Range(0, 100).Select(i => $"chaos/{i % 10}/rec{i:000}.wav").Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < names.Count; i++) await rig.UploadAsync(names[i], SpeechClips.Get(i));
        names = [.. names.Order(StringComparer.Ordinal)];

        var clock = Stopwatch.StartNew();
        var report = await rig.RunWorkerOnceAsync(TimeSpan.FromMinutes(6));
        output.WriteLine($"100 recordings under chaos in {clock.Elapsed.TotalSeconds:F1} s: {chaos.Faults} faults and {chaos.Delays} delays injected; {report}");

        Assert.True(chaos.Faults >= 200, $"only {chaos.Faults} faults were injected");
        await AssertExactlyOneCompleteResultSetAsync(rig.Storage, names);
        // Results are idempotent even if a job ran twice; with retries inside every storage call no job needed to.
        Assert.Equal(names, rig.Counting!.Calls.Distinct().Order(StringComparer.Ordinal));
        output.WriteLine($"analyses: {rig.Counting!.Calls.Count} for {names.Count} recordings");
        var events = await rig.DrainEventsAsync();
        Assert.Equal(names, events.Where(e => e.Type == PipelineEventTypes.Succeeded).DistinctBy(e => e.Id).Select(e => e.Recording).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(events, e => e.Type == PipelineEventTypes.Failed);
    }

    [Fact]
    public async Task Worker_killed_with_SIGKILL_mid_job_and_restarted_completes_every_job_exactly_once()
    {
        await using var isolated = await IsolatedStorage.CreateAsync("k", "mtlbatch-kill-work");
        var (prefix, storage, work) = (isolated.Prefix, isolated.Storage, isolated.Work);
        var names = Enumerable.Range(0, 12).Select(i => $"kill/rec{i:00}.wav").ToList();
        for (var i = 0; i < names.Count; i++)
            await storage.Recordings.GetBlobClient(names[i]).UploadAsync(SpeechClips.Get(i), overwrite: true);

        // The real CLI with a connection string holding the account key: it must never be printed.
        string[] args = ["worker", "--storage", Azurite.KeyConnectionString, "--name-prefix", prefix, "--model", RepoPaths.Model, "--poll-interval", "00:00:00.200"];
        var environment = new Dictionary<string, string?>
        {
            ["Worker__MessageLease"] = "00:00:06", // a killed worker's message reappears after this
            ["Worker__RetryDelay"] = "00:00:00.200",
            ["Analysis__Device"] = "Cpu",
            ["Analysis__BeamWidth"] = "1",
            ["Analysis__IntraOpThreads"] = "1",
            ["Pipeline__WorkDirectory"] = work,
        };
        var first = new OutputCollector();
        int committedAtKill;
        using (var worker = Process.Start(Tools.Cli(args, environment))!)
        {
            first.Attach(worker);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while ((committedAtKill = await CountAsync(storage, "/result.json")) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline && !worker.HasExited, "the worker produced no result in time:\n" + first);
                await Task.Delay(50);
            }
            worker.Kill(); // SIGKILL: no graceful shutdown, no finally blocks
            await worker.WaitForExitAsync();
        }
        output.WriteLine($"killed after {committedAtKill} of {names.Count} result sets");
        Assert.InRange(committedAtKill, 1, names.Count - 1);

        var second = Tools.RunCli([.. args, "--once"], environment, TimeSpan.FromMinutes(4));
        output.WriteLine(second.Stdout);
        Assert.True(second.ExitCode == 0, second.Stderr);

        await AssertExactlyOneCompleteResultSetAsync(storage, names);
        var events = new List<CompletionEvent>();
        foreach (var m in (await storage.EventsQueue.ReceiveMessagesAsync(32)).Value) events.Add(MtlJson.Deserialize<CompletionEvent>(m.MessageText));
        Assert.Equal(names, events.DistinctBy(e => e.Id).Select(e => e.Recording).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await storage.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty(await ListAsync(storage.Decoded));
        foreach (var log in new[] { first.ToString(), second.Stdout + second.Stderr })
        {
            Assert.DoesNotContain(Azurite.AccountKey, log, StringComparison.Ordinal);
            // The start-up line says where the worker reads and writes, what model runs and on which device.
            Assert.Matches(@"Worker started: storage http://127\.0\.0\.1:10000/devstoreaccount1, model \S+ \S+ \([0-9a-f]{12}\), device: cpu ", log);
        }
    }

    /// <summary>
    /// For each recording: result.json committed by the job the ledger says Succeeded, every file of the rendered set
    /// present, no error.json, and one ledger job row per recording.
    /// </summary>
    internal static async Task AssertExactlyOneCompleteResultSetAsync(PipelineStorage storage, IReadOnlyList<string> names)
    {
        var blobs = new Dictionary<string, BlobItem>(StringComparer.Ordinal);
        await foreach (var b in storage.Results.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata })) blobs[b.Name] = b;
        var jobs = new List<JobEntity>();
        await foreach (var j in storage.Jobs.QueryAsync<JobEntity>(x => x.RowKey == JobEntity.Row)) jobs.Add(j);

        Assert.Equal(names, jobs.Select(j => j.Recording).Order(StringComparer.Ordinal));
        Assert.All(jobs, j => Assert.Equal(nameof(JobState.Succeeded), j.State));
        foreach (var name in names)
        {
            foreach (var file in ResultSetRenderer.FileNames)
                Assert.True(blobs.ContainsKey($"{name}/{file}"), $"{name}/{file} is missing");
            Assert.False(blobs.ContainsKey($"{name}/{ResultSchema.Files.Error}"), $"{name} has an error.json");
            var job = jobs.Single(j => j.Recording == name);
            Assert.Equal(job.JobId, blobs[$"{name}/{ResultSchema.Files.Result}"].Metadata[ResultStore.JobIdMetadata]);
            var result = MtlJson.Deserialize<AnalysisResult>((await storage.Results.GetBlobClient($"{name}/{ResultSchema.Files.Result}").DownloadContentAsync()).Value.Content.ToString());
            Assert.Equal(name, result.Recording.Name);
        }
        Assert.Equal(names.Count * ResultSetRenderer.FileNames.Count, blobs.Count);
    }

    private static async Task<int> CountAsync(PipelineStorage storage, string suffix)
    {
        try
        {
            var n = 0;
            await foreach (var b in storage.Results.GetBlobsAsync()) if (b.Name.EndsWith(suffix, StringComparison.Ordinal)) n++;
            return n;
        }
        catch (RequestFailedException)
        {
            return 0;
        }
    }

    private static async Task<List<string>> ListAsync(Azure.Storage.Blobs.BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var b in container.GetBlobsAsync()) names.Add(b.Name);
        return names;
    }

    /// <summary>Polly chaos strategies INSIDE the storage retries: a 500/503 fault or a 5-30 ms delay before the real call.</summary>
    private sealed class StorageChaos(double faultRate, double latencyRate, int seed) : IResiliencePipelineHook
    {
        private readonly Random _random = new(seed);
        private readonly Lock _gate = new();
        private int _faults, _delays;
        public int Faults => _faults;
        public int Delays => _delays;

        private double Next()
        {
            lock (_gate) return _random.NextDouble();
        }

        public void Configure(string pipelineKey, ResiliencePipelineBuilder builder)
        {
            if (pipelineKey != ResiliencePipelines.Storage) return;
            builder.AddChaosLatency(new Polly.Simmy.Latency.ChaosLatencyStrategyOptions
            {
                InjectionRate = latencyRate,
                Randomizer = Next,
                LatencyGenerator = _ => new ValueTask<TimeSpan>(TimeSpan.FromMilliseconds(5 + 25 * Next())),
                OnLatencyInjected = _ => { Interlocked.Increment(ref _delays); return default; },
            });
            builder.AddChaosFault(new Polly.Simmy.Fault.ChaosFaultStrategyOptions
            {
                InjectionRate = faultRate,
                Randomizer = Next,
                FaultGenerator = _ =>
                {
                    Interlocked.Increment(ref _faults);
                    return new ValueTask<Exception?>(Next() < 0.5
                        ? new RequestFailedException(503, "chaos: 503 Server Busy")
                        : new RequestFailedException(500, "chaos: 500 Operation could not be completed within the specified time"));
                },
            });
        }
    }
}
