using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// The real <c>mtlbatch worker</c> as a child process: misconfiguration stops it at start-up with a clear message and
/// a non-zero exit code, and <c>--once</c> exits non-zero when anything it handled failed.
/// </summary>
public sealed class WorkerExitCodeTests
{
    [Fact]
    public void A_model_path_that_does_not_exist_stops_the_worker_at_start_up_with_a_clear_error()
    {
        var prefix = "x" + Guid.NewGuid().ToString("N")[..12];
        var run = Tools.RunCli(["worker", "--once", "--storage", Azurite.ConnectionString, "--name-prefix", prefix, "--model", "/nonexistent.onnx"],
            timeout: TimeSpan.FromMinutes(2));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Analysis:ModelPath: the model file '/nonexistent.onnx' does not exist", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr, StringComparison.Ordinal); // a message, not a stack trace
        Assert.DoesNotContain("Worker started", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_setting_is_named_at_start_up()
    {
        var prefix = "x" + Guid.NewGuid().ToString("N")[..12];
        var run = Tools.RunCli(["worker", "--once", "--storage", Azurite.ConnectionString, "--name-prefix", prefix, "--model", RepoPaths.Model],
            new Dictionary<string, string?> { ["Analysis__BatchSize"] = "-3", ["Resilience__BreakerFailureRatio"] = "0" }, TimeSpan.FromMinutes(2));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Analysis:BatchSize = -3", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("Resilience:BreakerFailureRatio = 0", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_once_exits_non_zero_when_an_upload_it_handled_was_rejected()
    {
        await using var isolated = await IsolatedStorage.CreateAsync("x", "mtlbatch-exitcode-work");
        var (prefix, storage, work) = (isolated.Prefix, isolated.Storage, isolated.Work);
        await storage.Recordings.GetBlobClient("exit/good.wav").UploadAsync(SpeechClips.Get(0), overwrite: true);
        await storage.Recordings.GetBlobClient("exit/broken.wav").UploadAsync(BinaryData.FromBytes(new byte[4096]), overwrite: true);
        string[] args = ["worker", "--once", "--storage", Azurite.ConnectionString, "--name-prefix", prefix, "--model", RepoPaths.Model, "--poll-interval", "00:00:00.200"];
        var environment = new Dictionary<string, string?> { ["Analysis__Device"] = "Cpu", ["Analysis__BeamWidth"] = "1", ["Pipeline__WorkDirectory"] = work };

        var run = Tools.RunCli(args, environment, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.Contains("recordings rejected 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("jobs succeeded 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 failure(s)", run.Stderr, StringComparison.Ordinal);

        // Nothing new to do and nothing failed in this run: exit 0.
        var again = Tools.RunCli(args, environment, TimeSpan.FromMinutes(3));
        Assert.True(again.ExitCode == 0, $"exit {again.ExitCode}: {again.Stdout} {again.Stderr}");
    }
}
