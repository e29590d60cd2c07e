using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// Issue 6, part 2: every limit is configurable and enforced before the expensive work it protects. (Max duration:
/// the 12-hour stream of the hostile corpus is refused by the probe, see HostileCorpusTests.)
/// </summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Upload_over_MaxUploadBytes_is_refused_from_its_blob_properties_without_being_downloaded()
    {
        var recorder = new RequestRecorder();
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Limits:MaxUploadBytes"] = "20000" }, recorder: recorder);
        var big = SpeechClips.Get(0);
        Assert.True(new FileInfo(big).Length > 20000);
        var small = Path.Combine(rig.WorkFolder, "..", Path.GetFileName(rig.WorkFolder) + "-small.wav");
        Tools.Ffmpeg("-i", big, "-ar", "8000", "-t", "1", "-c:a", "pcm_u8", small);
        Assert.True(new FileInfo(small).Length < 20000);
        await rig.UploadAsync("limits/big.wav", big);
        await rig.UploadAsync("limits/small.wav", small);

        await rig.RunWorkerOnceAsync();
        File.Delete(small);

        var error = MtlJson.Deserialize<ErrorRecord>(await rig.ReadResultTextAsync("limits/big.wav/error.json"));
        Assert.Equal(ErrorCodes.TooLarge, error.Code);
        Assert.Contains("20000", error.Message, StringComparison.Ordinal);
        Assert.Contains("limits/small.wav/result.json", (await rig.ListResultsAsync()).Keys);
        // The refusal came from the blob's properties (HEAD): the big upload was never downloaded, the small one was.
        var gets = recorder.Requests.Where(r => r.StartsWith("GET ", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(gets, r => r.EndsWith("/limits/big.wav", StringComparison.Ordinal));
        Assert.Contains(gets, r => r.EndsWith("/limits/small.wav", StringComparison.Ordinal));
        Assert.Equal(["limits/small.wav"], rig.Counting!.Calls);
    }

    [Fact]
    public async Task Analyze_reads_its_limits_from_the_environment()
    {
        var folder = RepoPaths.NewTempFolder("mtlbatch-cli-limits");
        var output = RepoPaths.NewTempFolder("mtlbatch-cli-limits-out");
        File.Copy(SpeechClips.Get(1), Path.Combine(folder, "big.wav"));
        Tools.Ffmpeg("-f", "lavfi", "-i", "sine=f=300:d=3", "-ar", "8000", "-b:a", "16k", Path.Combine(folder, "long.mp3"));
        Tools.Ffmpeg("-f", "lavfi", "-i", "sine=f=300:d=0.5", "-ar", "8000", Path.Combine(folder, "ok.wav"));

        var run = Tools.RunCli(["analyze", folder, "--out", output, "--model", RepoPaths.Model, "--device", "cpu", "--beam", "1"],
            new Dictionary<string, string?> { ["Limits__MaxUploadBytes"] = "20000", ["Limits__MaxDurationSeconds"] = "2" });

        Assert.True(run.ExitCode == 1, run.Stderr);
        Assert.Equal(ErrorCodes.TooLarge, MtlJson.Deserialize<ErrorRecord>(File.ReadAllText(Path.Combine(output, "big.wav", "error.json"))).Code);
        var tooLong = MtlJson.Deserialize<ErrorRecord>(File.ReadAllText(Path.Combine(output, "long.mp3", "error.json")));
        Assert.Equal(ErrorCodes.TooLong, tooLong.Code);
        Assert.Contains("the limit is 2 s", tooLong.Message, StringComparison.Ordinal); // refused by the probe, before decoding
        Assert.True(File.Exists(Path.Combine(output, "ok.wav", "result.json")));
        Directory.Delete(folder, true);
        Directory.Delete(output, true);
    }

    [Fact]
    public async Task Archive_of_10000_entries_expands_under_the_default_limit_and_is_refused_unopened_below_it()
    {
        var folder = RepoPaths.NewTempFolder("mtlbatch-many-entries");
        var zip = Path.Combine(folder, "many.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            for (var i = 0; i < HostileCorpus.ArchiveEntries; i++)
            {
                using var s = archive.CreateEntry($"many/{i:00000}.wav", CompressionLevel.NoCompression).Open();
                s.WriteByte(1);
            }
        var extract = Path.Combine(folder, "extract");

        // Default limit (20,000): all 10,000 entries come out, each as its own temp file, deleted on dispose.
        var accepted = new ArchiveExpander(new ArchiveExpanderOptions { TempFolder = extract }, new InputLimits(), NullLogger<ArchiveExpander>.Instance);
        var names = new List<string>();
        await foreach (var item in accepted.ExpandAsync(zip, CancellationToken.None))
            using (item)
            {
                Assert.Null(item.Error);
                names.Add(item.RelativeName);
            }
        Assert.Equal(HostileCorpus.ArchiveEntries, names.Distinct().Count());
        Assert.Empty(Directory.EnumerateFileSystemEntries(extract));

        // Below the count: one archive-rejected record, read from the central directory; nothing is extracted.
        var refused = new ArchiveExpander(new ArchiveExpanderOptions { TempFolder = extract }, new InputLimits { MaxArchiveEntries = 5000 }, NullLogger<ArchiveExpander>.Instance);
        var items = new List<AudioInput>();
        await foreach (var item in refused.ExpandAsync(zip, CancellationToken.None)) items.Add(item);
        var only = Assert.Single(items);
        Assert.Equal((ErrorCodes.ArchiveRejected, "many.zip"), (only.Error?.Code, only.RelativeName));
        Assert.Contains("Nothing was extracted", only.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(extract));
        Directory.Delete(folder, true);
    }

    [Fact]
    public async Task Archive_over_MaxArchiveExpandedBytes_stops_at_the_cap_in_the_pipeline()
    {
        var clip = File.ReadAllBytes(SpeechClips.Get(2));
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Limits:MaxArchiveExpandedBytes"] = (clip.Length * 3 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var zip = Path.Combine(rig.WorkFolder, "..", Path.GetFileName(rig.WorkFolder) + "-three.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            foreach (var name in new[] { "a.wav", "b.wav", "c.wav" })
            {
                using var s = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(clip);
            }
        await rig.UploadAsync("limits/three.zip", zip);
        File.Delete(zip);

        await rig.RunWorkerOnceAsync();

        var blobs = (await rig.ListResultsAsync()).Keys.Where(k => k.EndsWith("/result.json", StringComparison.Ordinal) || k.EndsWith("/error.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["limits/three/a.wav/result.json", "limits/three/b.wav/error.json"], blobs);
        var error = MtlJson.Deserialize<ErrorRecord>(await rig.ReadResultTextAsync("limits/three/b.wav/error.json"));
        Assert.Equal(ErrorCodes.ArchiveRejected, error.Code);
        Assert.Equal(["limits/three/a.wav"], rig.Counting!.Calls);
    }

    [Fact]
    public async Task Job_over_the_per_job_timeout_is_abandoned_retried_and_ends_as_a_timeout_error()
    {
        // Fault injection: the real analyzer behind a 3 s stall, with a 1 s per-job timeout.
        // The circuit opens after 4 timeouts; the 5th delivery waits out its (here short) break instead of being counted.
        await using var rig = await PipelineHarness.CreateAsync(
            new Dictionary<string, string?> { ["Resilience:InferenceTimeout"] = "00:00:01", ["Resilience:BreakerBreakDuration"] = "00:00:01" },
            analyzerDelay: TimeSpan.FromSeconds(3));
        await rig.UploadAsync("limits/slow.wav", SpeechClips.Get(3));

        var report = await rig.RunWorkerOnceAsync();

        Assert.Equal(1, report.MovedToPoison);
        var error = MtlJson.Deserialize<ErrorRecord>(await rig.ReadResultTextAsync("limits/slow.wav/error.json"));
        Assert.Equal(ErrorCodes.Timeout, error.Code);
        var job = Assert.Single(await rig.JobRowsAsync());
        Assert.Equal((nameof(JobState.Failed), ErrorCodes.Timeout), (job.State, job.ErrorCode));
        Assert.DoesNotContain("limits/slow.wav/result.json", (await rig.ListResultsAsync()).Keys);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Worker_never_runs_more_than_MaxConcurrentJobs_at_once(int limit)
    {
        await using var rig = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Worker:MaxConcurrentJobs"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, analyzerDelay: TimeSpan.FromMilliseconds(400));
        for (var i = 0; i < 6; i++) await rig.UploadAsync($"limits/c{i}.wav", SpeechClips.Get(i));

        await rig.RunWorkerOnceAsync();

        Assert.Equal(6, rig.Counting!.Calls.Distinct().Count());
        Assert.Equal(limit, rig.Counting!.MaxConcurrent);
    }

    [Fact]
    public void Functions_host_runs_one_job_per_instance_and_poisons_after_the_pipelines_dequeue_count()
    {
        using var host = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        var queues = host.RootElement.GetProperty("extensions").GetProperty("queues");
        // batchSize + newBatchThreshold = messages processed in parallel per instance (one GPU session).
        Assert.Equal(1, queues.GetProperty("batchSize").GetInt32() + queues.GetProperty("newBatchThreshold").GetInt32());
        Assert.Equal(new PipelineOptions().MaxDequeueCount, queues.GetProperty("maxDequeueCount").GetInt32());
        // A blob-triggered intake's give-up is recorded with that count as its attempts (HandleBlobTriggerGivenUpAsync).
        Assert.Equal(new PipelineOptions().MaxDequeueCount, host.RootElement.GetProperty("extensions").GetProperty("blobs").GetProperty("poisonBlobThreshold").GetInt32());
        // The host must not kill a job before the pipeline's own per-job timeout does.
        var functionTimeout = TimeSpan.Parse(host.RootElement.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(functionTimeout > new ResilienceOptions().InferenceTimeout, $"functionTimeout {functionTimeout}");
    }
}
