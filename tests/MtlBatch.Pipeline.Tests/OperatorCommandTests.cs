using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Cli;
using MtlBatch.Cli.Commands;
using Microsoft.ML.OnnxRuntime;
using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// The operator commands (issue 14, item 7) run in-process exactly as `mtlbatch ...` parses them, against the real
/// Azurite (each test's own name prefix, from <see cref="PipelineHarness"/>), the real model and real ffmpeg.
/// </summary>
public sealed class OperatorCommandTests : IDisposable
{
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private string NewFolder(string name)
    {
        var folder = RepoPaths.NewTempFolder("mtlbatch-cli-" + name);
        _folders.Add(folder);
        return folder;
    }

    internal sealed record CliRun(int ExitCode, string Output, string Error)
    {
        public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static Task<CliRun> Mtlbatch(params string[] args) => Mtlbatch(CancellationToken.None, args);

    /// <param name="stop">Stands for Ctrl+C (System.CommandLine hands the same token to the command).</param>
    private static async Task<CliRun> Mtlbatch(CancellationToken stop, params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in new ICliCommand[] { new SubmitCommand(), new StatusCommand(), new ResultsCommand(), new EventsCommand(), new ReprocessCommand(), new WorkerCommand() })
            root.Subcommands.Add(command.Build());
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var either = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, stop);
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, either.Token);
        Assert.False(limit.IsCancellationRequested, $"mtlbatch {string.Join(' ', args)} ran past its time limit");
        return new CliRun(code, output.ToString(), error.ToString());
    }

    private static string[] On(PipelineHarness h, params string[] args) => [.. args, "--storage", Azurite.ConnectionString, "--name-prefix", h.Prefix];

    /// <summary>The worker as an operator runs it (no HTTP port: the default), with fast polling.</summary>
    private static Task<CliRun> WorkerOnce(PipelineHarness h, params string[] extra) =>
        Mtlbatch(On(h, ["worker", "--once", "--poll-interval", "00:00:00.100", "--model", RepoPaths.Model, .. extra]));

    [Fact]
    public async Task Submit_prints_one_job_id_per_recording_that_the_worker_uses_and_status_finds()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var folder = NewFolder("submit");
        File.Copy(TestMedia.Shared.Speech(0), Path.Combine(folder, "first.wav"));
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.Copy(TestMedia.Shared.Speech(1, "mp3"), Path.Combine(folder, "sub", "second.mp3"));
        var zip = TestMedia.Shared.Zip("cli-batch.zip", 2, 3);

        // No --model-version on either side: the ids are named by the model's own version, as intake names them.
        var submit = await Mtlbatch(On(h, "submit", folder, zip, "--prefix", "calls/2026", "--model", RepoPaths.Model));
        Assert.True(submit.ExitCode == 0, submit.Error);
        var ids = submit.Lines;
        Assert.Equal(4, ids.Length);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(4, ids.Distinct(StringComparer.Ordinal).Count());

        // Before intake the ledger knows none of them: status says so and fails.
        var early = await Mtlbatch(On(h, ["status", .. ids]));
        Assert.Equal(ExitCodes.Failures, early.ExitCode);
        Assert.Contains("4 unknown", early.Error, StringComparison.Ordinal);

        var worker = await WorkerOnce(h);
        Assert.True(worker.ExitCode == 0, worker.Error + worker.Output);

        var status = await Mtlbatch(On(h, ["status", .. ids, "--json"]));
        Assert.True(status.ExitCode == 0, status.Error);
        var rows = JsonNode.Parse(status.Output)!.AsArray();
        Assert.Equal(ids, rows.Select(r => (string)r!["jobId"]!));
        Assert.All(rows, r => Assert.Equal(nameof(JobState.Succeeded), (string?)r!["state"]));
        Assert.Equal(["calls/2026/cli-batch/calls/entry2.wav", "calls/2026/cli-batch/calls/entry3.wav", "calls/2026/first.wav", "calls/2026/sub/second.mp3"],
            rows.Select(r => (string)r!["recording"]!).Order(StringComparer.Ordinal));

        // --all lists the same jobs; a recording path finds its latest job.
        var all = await Mtlbatch(On(h, "status", "--all"));
        Assert.Equal(0, all.ExitCode);
        Assert.Equal(ids.Order(StringComparer.Ordinal), all.Lines.Select(l => l[..32]).Order(StringComparer.Ordinal));
        var byRecording = await Mtlbatch(On(h, "status", "calls/2026/first.wav"));
        Assert.Equal(0, byRecording.ExitCode);
        Assert.Contains(ids, id => byRecording.Output.StartsWith(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Submit_and_reprocess_read_the_model_version_from_the_file_without_loading_the_model()
    {
        await using var h = await PipelineHarness.CreateAsync();
        // A protobuf with a skipped field 7 (where a graph would be) and metadata_props only: no session can load it.
        var model = Path.Combine(NewFolder("meta-only"), "meta-only.onnx");
        await File.WriteAllBytesAsync(model, MetadataOnlyModel(("mtl.name", "meta-only"), ("mtl.version", "meta-only-7")));
        Assert.ThrowsAny<OnnxRuntimeException>(() => new Microsoft.ML.OnnxRuntime.InferenceSession(model).Dispose());

        var recording = TestMedia.Shared.Speech(9);
        var submit = await Mtlbatch(On(h, "submit", recording, "--prefix", "meta", "--model", model));
        Assert.True(submit.ExitCode == 0, submit.Error);
        var sha = await RecordingMedia.Sha256Async(recording, CancellationToken.None);
        Assert.Equal(JobLedger.ComputeJobId("meta/" + Path.GetFileName(recording), sha, "meta-only-7"), Assert.Single(submit.Lines));

        var reprocess = await Mtlbatch(On(h, "reprocess", "--prefix", "meta/"));
        Assert.True(reprocess.ExitCode == 0, reprocess.Error);
    }

    /// <summary>ModelProto bytes: field 7 (length-delimited, skipped by readers) then metadata_props (field 14) entries.</summary>
    private static byte[] MetadataOnlyModel(params (string Key, string Value)[] entries)
    {
        static byte[] Field(int number, byte[] payload) => [(byte)((number << 3) | 2), (byte)payload.Length, .. payload];
        var bytes = new List<byte>(Field(7, [0x0A, 0x03, (byte)'g', (byte)'h', (byte)'i']));
        foreach (var (key, value) in entries)
            bytes.AddRange(Field(14, [.. Field(1, System.Text.Encoding.UTF8.GetBytes(key)), .. Field(2, System.Text.Encoding.UTF8.GetBytes(value))]));
        return [.. bytes];
    }

    [Fact]
    public async Task Results_downloads_a_recordings_files_and_fails_for_a_failed_or_unknown_recording()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "cli-r" });
        var corrupt = Path.Combine(NewFolder("corrupt"), "broken.ogg");
        await File.WriteAllBytesAsync(corrupt, TestMedia.Corrupt(3000));
        Assert.Equal(0, (await Mtlbatch(On(h, "submit", TestMedia.Shared.Speech(4, "flac"), "--prefix", "r", "--model-version", "cli-r"))).ExitCode);
        Assert.Equal(0, (await Mtlbatch(On(h, "submit", corrupt, "--prefix", "r", "--model-version", "cli-r"))).ExitCode);

        // The corrupt upload fails at intake: the worker says so with its exit code.
        var worker = await WorkerOnce(h, "--model-version", "cli-r");
        Assert.Equal(ExitCodes.Failures, worker.ExitCode);
        Assert.Contains("1 failure(s)", worker.Error, StringComparison.Ordinal);

        var target = NewFolder("results");
        var results = await Mtlbatch(On(h, "results", "r/speech4.flac", "--out", target));
        Assert.True(results.ExitCode == 0, results.Error);
        foreach (var file in new[] { ResultSchema.Files.Result, ResultSchema.Files.Transcript, ResultSchema.Files.Speakers, ResultSchema.Files.Emotions, "transcript.vtt", "report.html" })
        {
            Assert.True(File.Exists(Path.Combine(target, file)), $"{file} not downloaded: {results.Output}");
            Assert.Contains(Path.Combine(target, file), results.Lines);
        }
        var result = MtlJson.Deserialize<AnalysisResult>(await File.ReadAllTextAsync(Path.Combine(target, ResultSchema.Files.Result)));
        Assert.Equal("r/speech4.flac", result.Recording.Name);
        Assert.Equal("cli-r", result.Model.Version);

        var failed = await Mtlbatch(On(h, "results", "r/broken.ogg", "--out", NewFolder("failed")));
        Assert.Equal(ExitCodes.Failures, failed.ExitCode);
        Assert.Contains("failed", failed.Error, StringComparison.Ordinal);
        var error = MtlJson.Deserialize<ErrorRecord>(await File.ReadAllTextAsync(Assert.Single(failed.Lines)));
        Assert.Equal("r/broken.ogg", error.Recording);

        var unknown = await Mtlbatch(On(h, "results", "r/never-uploaded.wav", "--out", NewFolder("unknown")));
        Assert.Equal(ExitCodes.Failures, unknown.ExitCode);
    }

    [Fact]
    public async Task Reprocess_force_reruns_a_current_recording_and_events_print_a_new_event_id()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var v = new[] { "--model-version", "cli-f" };
        var submit = await Mtlbatch(On(h, ["submit", TestMedia.Shared.Speech(5), "--prefix", "f", .. v]));
        var jobId = Assert.Single(submit.Lines);
        Assert.Equal(0, (await WorkerOnce(h, v)).ExitCode);

        var firstEvents = await Mtlbatch(On(h, "events"));
        Assert.Equal(0, firstEvents.ExitCode);
        var first = MtlJson.Deserialize<CompletionEvent>(Assert.Single(firstEvents.Lines));
        Assert.Equal(jobId, first.JobId);
        Assert.Equal(SubmissionReasons.New, first.Reason);
        // The events were consumed: a second read prints nothing.
        Assert.Empty((await Mtlbatch(On(h, "events"))).Lines);

        // reprocess only queues a batch and prints its id; the worker scans it. Results are current, so the plain
        // batch re-runs nothing; the --force batch re-runs the same job (one event below, not two).
        var plain = await Mtlbatch(On(h, "reprocess", "--prefix", "f/"));
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Matches("^[0-9a-f]{32}$", (string?)JsonNode.Parse(plain.Output)!["batchId"]);
        var forced = await Mtlbatch(On(h, "reprocess", "--prefix", "f/", "--force"));
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.True((bool?)JsonNode.Parse(forced.Output)!["force"]);
        var worker = await WorkerOnce(h, [.. v, "--no-reprocess"]);
        Assert.True(worker.ExitCode == 0, worker.Error);
        Assert.Contains("reprocess scan pages 2", worker.Output, StringComparison.Ordinal);

        var again = MtlJson.Deserialize<CompletionEvent>(Assert.Single((await Mtlbatch(On(h, "events"))).Lines));
        Assert.Equal(jobId, again.JobId);
        Assert.Equal(SubmissionReasons.Forced, again.Reason);
        Assert.Equal(2, again.Attempt);
        Assert.NotEqual(first.Id, again.Id);
        Assert.Equal(2, (await h.Get<JobLedger>().GetJobAsync(jobId, CancellationToken.None))!.ResultVersion);
    }

    [Fact]
    public async Task Events_follow_prints_events_as_they_come_until_stopped_and_exits_0()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "cli-e" });
        using var stop = new CancellationTokenSource();
        var follow = Mtlbatch(stop.Token, On(h, "events", "--follow", "--poll-interval", "00:00:00.100"));
        await h.UploadAsync("e/one.wav", TestMedia.Shared.Speech(10));
        await h.RunWorkerOnceAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(follow.IsCompleted, "--follow returned on its own");
        await stop.CancelAsync();
        var run = await follow;
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("e/one.wav", MtlJson.Deserialize<CompletionEvent>(Assert.Single(run.Lines)).Recording);
    }

    [Fact]
    public async Task Worker_model_version_reruns_results_made_by_another_version()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var submit = await Mtlbatch(On(h, "submit", TestMedia.Shared.Speech(6, "m4a"), "--prefix", "mv", "--model-version", "cli-a"));
        var oldJob = Assert.Single(submit.Lines);
        Assert.Equal(0, (await WorkerOnce(h, "--model-version", "cli-a")).ExitCode);
        Assert.Equal("cli-a", MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("mv/speech6.m4a/result.json")).Model.Version);
        Assert.Single((await Mtlbatch(On(h, "events"))).Lines);

        // Before issue 14 this run re-ran nothing: the upload's ETag was known, and only the (absent) timer looked at versions.
        var rerun = await WorkerOnce(h, "--model-version", "cli-b");
        Assert.True(rerun.ExitCode == 0, rerun.Error);
        Assert.Contains("reprocess passes 1 (1 uploads resubmitted", rerun.Output, StringComparison.Ordinal);
        Assert.Equal("cli-b", MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("mv/speech6.m4a/result.json")).Model.Version);
        var reprocessed = MtlJson.Deserialize<CompletionEvent>(Assert.Single((await Mtlbatch(On(h, "events"))).Lines));
        Assert.Equal("cli-b", reprocessed.ModelVersion);
        Assert.Equal(SubmissionReasons.Reprocess, reprocessed.Reason);
        Assert.NotEqual(oldJob, reprocessed.JobId);

        // The same version again: nothing is stale, nothing runs.
        var same = await WorkerOnce(h, "--model-version", "cli-b");
        Assert.Equal(0, same.ExitCode);
        Assert.Contains("jobs succeeded 0", same.Output, StringComparison.Ordinal);

        // --no-reprocess keeps the old behaviour for a worker that must not re-run anything.
        var off = await WorkerOnce(h, "--model-version", "cli-c", "--no-reprocess");
        Assert.Equal(0, off.ExitCode);
        Assert.Contains("reprocess passes 0", off.Output, StringComparison.Ordinal);
        Assert.Equal("cli-b", MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("mv/speech6.m4a/result.json")).Model.Version);
    }

    [Fact]
    public async Task The_local_http_api_answers_like_the_functions()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "cli-h" });
        var jobId = Assert.Single((await Mtlbatch(On(h, "submit", TestMedia.Shared.Speech(7), "--prefix", "http", "--model-version", "cli-h"))).Lines);
        await h.RunWorkerOnceAsync();

        await using var server = await LocalApiServer.StartAsync(h.Get<PipelineApi>(), 0, NullLogger.Instance, CancellationToken.None);
        Assert.Equal("127.0.0.1", server.Address.Host);
        using var http = new HttpClient { BaseAddress = server.Address };
        var job = await http.GetAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, job.StatusCode);
        Assert.Equal(nameof(JobState.Succeeded), (string?)JsonNode.Parse(await job.Content.ReadAsStringAsync())!["state"]);
        var byRecording = await http.GetAsync(new Uri("/api/jobs?recording=" + Uri.EscapeDataString("http/speech7.wav"), UriKind.Relative));
        Assert.Equal(jobId, (string?)JsonNode.Parse(await byRecording.Content.ReadAsStringAsync())!["jobId"]);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/api/jobs/0123abcd", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(new Uri("/api/jobs", UriKind.Relative))).StatusCode);

        // POST /api/reprocess answers 202 with a batch id before anything is re-run; the worker then re-runs the job.
        using var body = new StringContent("""{"prefix":"http/","force":true}""");
        var reprocess = await http.PostAsync(new Uri("/api/reprocess", UriKind.Relative), body);
        Assert.Equal(HttpStatusCode.Accepted, reprocess.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", (string?)JsonNode.Parse(await reprocess.Content.ReadAsStringAsync())!["batchId"]);
        Assert.Equal(1, (await h.Get<JobLedger>().GetJobAsync(jobId, CancellationToken.None))!.ResultVersion);
        using var bad = new StringContent("{not json");
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync(new Uri("/api/reprocess", UriKind.Relative), bad)).StatusCode);
        await h.RunWorkerOnceAsync();
        Assert.Equal(2, (await h.Get<JobLedger>().GetJobAsync(jobId, CancellationToken.None))!.ResultVersion);
    }

    [Fact]
    public async Task Commands_exit_non_zero_when_what_they_handled_failed()
    {
        await using var h = await PipelineHarness.CreateAsync();

        // submit: a blob name intake would reject is not uploaded (1); a path that does not exist uploads nothing (2).
        var tooLong = await Mtlbatch(On(h, "submit", TestMedia.Shared.Speech(8), "--prefix", new string('x', 1100), "--model-version", "cli-x"));
        Assert.Equal(ExitCodes.Failures, tooLong.ExitCode);
        Assert.Empty(tooLong.Lines);
        Assert.Equal(ExitCodes.InvalidConfiguration, (await Mtlbatch(On(h, "submit", "/nonexistent/call.wav", "--model-version", "cli-x"))).ExitCode);

        // status: an unknown id (1); neither ids nor --all (2).
        Assert.Equal(ExitCodes.Failures, (await Mtlbatch(On(h, "status", new string('a', 32)))).ExitCode);
        Assert.Equal(ExitCodes.InvalidConfiguration, (await Mtlbatch(On(h, "status"))).ExitCode);

        // events: a message that is not an event is reported and fails the command.
        await h.Storage.EventsQueue.SendMessageAsync("not an event");
        var events = await Mtlbatch(On(h, "events"));
        Assert.Equal(ExitCodes.Failures, events.ExitCode);
        Assert.Contains("not a completion event", events.Error, StringComparison.Ordinal);

        // reprocess --force over a corrupt upload only queues the batch (0); the worker that runs it fails (1).
        await h.UploadAsync("x/bad.wav", TestMedia.Corrupt(2500));
        var reprocess = await Mtlbatch(On(h, "reprocess", "--force"));
        Assert.Equal(0, reprocess.ExitCode);
        var rejected = await WorkerOnce(h, "--model-version", "cli-x", "--no-reprocess");
        Assert.Equal(ExitCodes.Failures, rejected.ExitCode);
        Assert.Contains("reprocess scan pages 1", rejected.Output, StringComparison.Ordinal);

        // worker: its HTTP port is taken (2, before anything is processed).
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var busy = await Mtlbatch(On(h, "worker", "--once", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--model", RepoPaths.Model));
        Assert.Equal(ExitCodes.InvalidConfiguration, busy.ExitCode);
        Assert.Contains("cannot serve the HTTP API", busy.Error, StringComparison.Ordinal);

        // Invalid configuration of any command: 2 with the setting named.
        var badPrefix = await Mtlbatch("status", "--all", "--storage", Azurite.ConnectionString, "--name-prefix", "Not-Valid");
        Assert.Equal(ExitCodes.InvalidConfiguration, badPrefix.ExitCode);
    }
}
