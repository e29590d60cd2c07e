using System.Globalization;
using System.Text;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>One recording's outcome: "result" or an error code, with the error message.</summary>
public sealed record RecordingOutcome(string Recording, string Outcome, string? Message);

/// <summary>Generates the corpus once and runs it once through `mtlbatch analyze` and once through the pipeline.</summary>
public sealed class HostileCorpusFixture : IAsyncLifetime
{
    private readonly Lazy<Task<CliRun>> _cli;
    private readonly Lazy<Task<PipelineRun>> _pipeline;

    public HostileCorpusFixture()
    {
        _cli = new(RunCliAsync);
        _pipeline = new(RunPipelineAsync);
    }

    public HostileCorpus Corpus { get; private set; } = null!;
    public Task<CliRun> Cli => _cli.Value;
    public Task<PipelineRun> Pipeline => _pipeline.Value;

    public Task InitializeAsync()
    {
        Corpus = new HostileCorpus();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (Corpus is not null)
            try { Directory.Delete(Corpus.Folder, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    public sealed record CliRun(ProcessResult Process, IReadOnlyList<RecordingOutcome> Outcomes, string[] OutputFiles, string[] TempLeftovers, TimeSpan Elapsed);

    public sealed record PipelineRun(WorkerReport Report, IReadOnlyList<RecordingOutcome> Outcomes, IReadOnlyList<JobEntity> Jobs, IReadOnlyList<UploadEntity> Uploads,
        IReadOnlyList<CompletionEvent> Events, IReadOnlyList<string> AnalyzerCalls, string[] WorkLeftovers, IReadOnlyList<string> DecodedLeft, int PoisonLeft, TimeSpan Elapsed,
        IReadOnlyList<string> ResultBlobs);

    /// <summary>One `mtlbatch analyze` child process over the whole corpus folder, with its own TMPDIR to count leftovers.</summary>
    private async Task<CliRun> RunCliAsync()
    {
        var output = RepoPaths.NewTempFolder("mtlbatch-hostile-out");
        var temp = RepoPaths.NewTempFolder("mtlbatch-hostile-tmp");
        var environment = HostileCorpus.Limits.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => (string?)kv.Value);
        environment["TMPDIR"] = temp;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var process = await Task.Run(() => Tools.RunCli(
            ["analyze", Corpus.Folder, "--out", output, "--model", RepoPaths.Model, "--device", "cpu", "--beam", "1", "--threads", "2"],
            environment, TimeSpan.FromMinutes(8)));
        var elapsed = clock.Elapsed;

        var outcomes = new List<RecordingOutcome>();
        foreach (var file in Directory.EnumerateFiles(output, "*.json", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name == ResultSchema.Files.Result)
                outcomes.Add(new(MtlJson.Deserialize<AnalysisResult>(await File.ReadAllTextAsync(file)).Recording.Name, CorpusCase.Result, null));
            else if (name == ResultSchema.Files.Error)
            {
                var error = MtlJson.Deserialize<ErrorRecord>(await File.ReadAllTextAsync(file));
                outcomes.Add(new(error.Recording, error.Code, error.Message));
            }
        }
        var files = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).ToArray();
        // ONNX Runtime keeps one fixed-name session-id file (.ses) in TMPDIR and reuses it: not a per-input leftover.
        var leftovers = Directory.EnumerateFileSystemEntries(temp, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != ".ses").ToArray();
        Directory.Delete(output, recursive: true);
        Directory.Delete(temp, recursive: true);
        return new CliRun(process, outcomes, files, leftovers, elapsed);
    }

    /// <summary>Every case uploaded to Azurite `recordings` under hostile/, then the local worker until nothing is left.</summary>
    private async Task<PipelineRun> RunPipelineAsync()
    {
        await using var rig = await PipelineHarness.CreateAsync(HostileCorpus.Limits.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        foreach (var c in Corpus.Cases)
            await rig.UploadAsync(Prefix + c.Name, Corpus.PathOf(c));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = await rig.RunWorkerOnceAsync(TimeSpan.FromMinutes(8));
        var elapsed = clock.Elapsed;

        var outcomes = new List<RecordingOutcome>();
        var resultBlobs = (await rig.ListResultsAsync()).Keys.ToList();
        foreach (var name in resultBlobs)
        {
            if (name.EndsWith("/" + ResultSchema.Files.Result, StringComparison.Ordinal))
                outcomes.Add(new(Strip(MtlJson.Deserialize<AnalysisResult>(await rig.ReadResultTextAsync(name)).Recording.Name), CorpusCase.Result, null));
            else if (name.EndsWith("/" + ResultSchema.Files.Error, StringComparison.Ordinal))
            {
                var error = MtlJson.Deserialize<ErrorRecord>(await rig.ReadResultTextAsync(name));
                outcomes.Add(new(Strip(error.Recording), error.Code, error.Message));
            }
        }
        var work = Directory.EnumerateFileSystemEntries(rig.WorkFolder, "*", SearchOption.AllDirectories).ToArray();
        var decoded = await PipelineHarness.ListAsync(rig.Storage.Decoded);
        var poison = (await rig.Storage.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        return new PipelineRun(report, outcomes, await rig.JobRowsAsync(), await rig.UploadRowsAsync(), await rig.DrainEventsAsync(),
            rig.Counting!.Calls.Select(Strip).ToList(), work, decoded, poison, elapsed, resultBlobs);
    }

    public const string Prefix = "hostile/";
    private static string Strip(string recording) => recording.StartsWith(Prefix, StringComparison.Ordinal) ? recording[Prefix.Length..] : recording;

    public static string[] OutcomesOf(CorpusCase c, IEnumerable<RecordingOutcome> all) =>
        all.Where(o => c.Owns(o.Recording)).Select(o => o.Outcome).Order(StringComparer.Ordinal).ToArray();
}

/// <summary>
/// Issue 6, part 1: every hostile or odd input ends in a result or an error record with a stable code, in one
/// `mtlbatch analyze` run over the whole corpus and in one pipeline run with the local worker on Azurite.
/// </summary>
public sealed class HostileCorpusTests(HostileCorpusFixture fixture) : IClassFixture<HostileCorpusFixture>
{
    private static readonly HashSet<string> StableCodes = typeof(ErrorCodes).GetFields()
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void The_corpus_has_at_least_40_distinct_hostile_inputs()
    {
        Assert.True(fixture.Corpus.Cases.Count >= 40, $"{fixture.Corpus.Cases.Count} cases");
        Assert.Equal(fixture.Corpus.Cases.Count, fixture.Corpus.Cases.Select(c => c.Name).Distinct().Count());
        Assert.Equal(1000, HostileCorpus.LongName.Length);
        // Nothing large: the biggest generated input is the 12-hour FLAC of silence.
        Assert.All(fixture.Corpus.Cases, c => Assert.InRange(new FileInfo(fixture.Corpus.PathOf(c)).Length, 0, 16L << 20));
    }

    [Fact]
    public async Task Analyze_gives_every_input_a_result_or_a_stable_error_in_one_run()
    {
        var run = await fixture.Cli;
        // Exit code 1 = "some inputs failed"; a crash would be another code (and would leave inputs without outcomes).
        Assert.True(run.Process.ExitCode == 1, $"exit code {run.Process.ExitCode}\n{run.Process.Stderr}");
        Assert.DoesNotContain("Unhandled exception", run.Process.Stderr, StringComparison.Ordinal);
        AssertOutcomes(run.Outcomes, pipeline: false);

        // Results are complete sets, and nothing escaped the output folder (zip-slip) or stayed in TMPDIR.
        var resultFolders = run.OutputFiles.Where(f => Path.GetFileName(f) == ResultSchema.Files.Result).Select(Path.GetDirectoryName).ToList();
        foreach (var folder in resultFolders)
            foreach (var file in new[] { ResultSchema.Files.Transcript, ResultSchema.Files.Speakers, ResultSchema.Files.Emotions })
                Assert.Contains(Path.Combine(folder!, file), run.OutputFiles);
        Assert.DoesNotContain(run.OutputFiles, f => f.Contains("..", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(fixture.Corpus.Folder)!, "x.wav")));
        Assert.Empty(run.TempLeftovers);
    }

    [Fact]
    public async Task Pipeline_gives_every_upload_a_result_or_error_json_and_a_ledger_row()
    {
        var run = await fixture.Pipeline;
        AssertOutcomes(run.Outcomes, pipeline: true);

        // Every upload has its ledger row, every recording its job row, in a final state that matches its outcome.
        Assert.Equal(fixture.Corpus.Cases.Select(c => HostileCorpusFixture.Prefix + c.StoredName).Order(StringComparer.Ordinal),
            run.Uploads.Select(u => u.Upload).Order(StringComparer.Ordinal));
        Assert.Equal(run.Outcomes.Count, run.Jobs.Count);
        Assert.Equal(run.Outcomes.Count(o => o.Outcome == CorpusCase.Result), run.Jobs.Count(j => j.State == nameof(JobState.Succeeded)));
        Assert.Equal(run.Outcomes.Count(o => o.Outcome != CorpusCase.Result), run.Jobs.Count(j => j.State == nameof(JobState.Failed)));

        // Exactly once: one analysis and one completion event per recording; nothing poisoned.
        Assert.Equal(run.Outcomes.Where(o => o.Outcome == CorpusCase.Result).Select(o => o.Recording).Order(StringComparer.Ordinal),
            run.AnalyzerCalls.Order(StringComparer.Ordinal));
        Assert.Equal(run.Outcomes.Count, run.Events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(0, run.Report.MovedToPoison);
        Assert.Equal(0, run.PoisonLeft);

        // Limits before expensive work: the 12-hour stream was refused by the probe (no decoding time recorded).
        var twelveHours = Assert.Single(run.Jobs, j => j.Recording == HostileCorpusFixture.Prefix + "stream-12h.flac");
        Assert.Equal((ErrorCodes.TooLong, 0.0), (twelveHours.ErrorCode, twelveHours.DecodeSeconds));
        Assert.Contains("lasts 43200 s; the limit is 7200 s", twelveHours.ErrorMessage, StringComparison.Ordinal);

        // Output blob names derived safely: no '..' or empty segment, nothing absolute, even from zip-slip entries.
        Assert.All(run.ResultBlobs, b => Assert.Null(RecordingPaths.Problem(b, 1024)));

        // Temp files cleaned up, decoded audio deleted after success (Pipeline:DeleteDecodedAfterSuccess defaults to true).
        Assert.Empty(run.WorkLeftovers);
        Assert.Empty(run.DecodedLeft);
    }

    private void AssertOutcomes(IReadOnlyList<RecordingOutcome> outcomes, bool pipeline)
    {
        var problems = new List<string>();
        foreach (var c in fixture.Corpus.Cases)
        {
            var actual = HostileCorpusFixture.OutcomesOf(c, outcomes);
            var expected = c.ExpectedFor(pipeline);
            if (!actual.SequenceEqual(expected))
                problems.Add($"{c.Label}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}] " +
                             string.Join(" | ", outcomes.Where(o => c.Owns(o.Recording)).Select(o => o.Message)));
        }
        var orphans = outcomes.Where(o => !fixture.Corpus.Cases.Any(c => c.Owns(o.Recording))).Select(o => o.Recording).ToList();
        Assert.True(problems.Count == 0 && orphans.Count == 0, string.Join("\n", problems.Concat(orphans.Select(o => "unexpected output for " + o))));
        Assert.All(outcomes.Where(o => o.Outcome != CorpusCase.Result), o =>
        {
            Assert.Contains(o.Outcome, StableCodes);
            Assert.NotEqual(ErrorCodes.Internal, o.Outcome);
            Assert.False(string.IsNullOrWhiteSpace(o.Message));
        });
    }

    /// <summary>
    /// MTLBATCH_WRITE_DOCS=1 writes the table of this run into docs/reliability.md (between the hostile-corpus markers).
    /// Without the variable it still checks that both runs cover every case.
    /// </summary>
    [Fact]
    public async Task Case_table_covers_both_runs()
    {
        var cli = await fixture.Cli;
        var pipeline = await fixture.Pipeline;
        var table = new StringBuilder();
        table.AppendLine("# Hostile-input corpus: outcomes");
        table.AppendLine();
        table.AppendLine("Generated by `MTLBATCH_WRITE_DOCS=1 dotnet test tests/MtlBatch.Reliability.Tests --filter Case_table_covers_both_runs` " +
                         $"(model: `{Path.GetRelativePath(RepoPaths.Root, RepoPaths.Model)}`; limits: " +
                         string.Join(", ", HostileCorpus.Limits.Select(kv => $"`{kv.Key}={kv.Value}`")) + "). " +
                         "Inputs are generated by `HostileCorpus.cs` into a temp folder; nothing is committed.");
        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"`mtlbatch analyze` over the folder of all {fixture.Corpus.Cases.Count} inputs: one run, exit code {cli.Process.ExitCode}, {cli.Outcomes.Count} outcomes, {cli.Elapsed.TotalSeconds:F0} s. " +
            $"Pipeline (upload to Azurite `recordings`, local worker `--once`): {pipeline.Outcomes.Count} outcomes, {pipeline.Jobs.Count} ledger job rows, " +
            $"{pipeline.Uploads.Count} upload rows, {pipeline.Elapsed.TotalSeconds:F0} s."));
        table.AppendLine();
        table.AppendLine("| # | input | category | what it is | `mtlbatch analyze` | pipeline | message (analyze) |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var i = 0;
        foreach (var c in fixture.Corpus.Cases)
        {
            var message = cli.Outcomes.Where(o => c.Owns(o.Recording) && o.Message is not null).Select(o => o.Message!).FirstOrDefault() ?? "";
            if (message.Length > 140) message = message[..140] + "…";
            table.AppendLine($"| {++i} | `{Escape(c.Label)}` | {c.Category} | {Escape(c.What)} | {Describe(HostileCorpusFixture.OutcomesOf(c, cli.Outcomes))} | " +
                             $"{Describe(HostileCorpusFixture.OutcomesOf(c, pipeline.Outcomes))} | {Escape(message)} |");
        }
        Assert.All(fixture.Corpus.Cases, c => Assert.NotEmpty(HostileCorpusFixture.OutcomesOf(c, cli.Outcomes)));
        Assert.All(fixture.Corpus.Cases, c => Assert.NotEmpty(HostileCorpusFixture.OutcomesOf(c, pipeline.Outcomes)));
        if (Environment.GetEnvironmentVariable("MTLBATCH_WRITE_DOCS") == "1")
        {
            // Replaces the block between the markers in docs/reliability.md (appends it when the markers are missing).
            var doc = Path.Combine(RepoPaths.Root, "docs", "reliability.md");
            var text = File.Exists(doc) ? await File.ReadAllTextAsync(doc) : "";
            var block = StartMarker + "\n" + table.ToString().Replace("# Hostile-input corpus: outcomes", "### Outcome of every case", StringComparison.Ordinal) + EndMarker;
            var start = text.IndexOf(StartMarker, StringComparison.Ordinal);
            var end = text.IndexOf(EndMarker, StringComparison.Ordinal);
            text = start >= 0 && end > start ? text[..start] + block + text[(end + EndMarker.Length)..] : text + "\n" + block + "\n";
            await File.WriteAllTextAsync(doc, text);
        }
    }

    private const string StartMarker = "<!-- hostile-corpus:start (generated by HostileCorpusTests.Case_table_covers_both_runs) -->";
    private const string EndMarker = "<!-- hostile-corpus:end -->";

    private static string Describe(string[] outcomes) => outcomes.Length == 0 ? "**none**" : string.Join(", ",
        outcomes.GroupBy(o => o).Select(g => (g.Count() > 1 ? $"{g.Count()}× " : "") + (g.Key == CorpusCase.Result ? "result" : $"`{g.Key}`")));

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)
        .Replace("`", "'", StringComparison.Ordinal);
}
