using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Issue 14, items 3 and 8: one failure recorder (error.json + Failed ledger row + failure event with a stable code,
/// never derived from message text) for intake, inference and poison, and nothing of a failed job left behind.
/// </summary>
public sealed class FailureRecorderTests
{
    [Fact]
    public async Task A_model_error_whose_text_says_timeout_is_recorded_as_inference_failed_and_leaves_no_decoded_audio()
    {
        // Before the fix the poison handler matched "Timeout" in the last error's text and recorded code "timeout".
        var throwing = new MessageThrowingAnalyzerSource("CUDA driver Timeout while waiting for the device (simulated)");
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:ModelVersion"] = "fail-1",
            ["Pipeline:MaxDequeueCount"] = "2",
            ["Resilience:BreakerBreakDuration"] = "00:00:01",
        }, analyzer: throwing, countAnalyses: false);
        await h.UploadAsync("fail/call.wav", TestMedia.Shared.Speech(0));

        var report = await h.RunWorkerOnceAsync();

        Assert.Equal(1, report.PoisonedJobsFailed);
        Assert.Equal(2, throwing.Calls);
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("fail/call.wav/error.json"));
        Assert.Equal(ErrorCodes.InferenceFailed, error.Code);
        Assert.Contains("Timeout while waiting", error.Message, StringComparison.Ordinal);
        var row = Assert.Single(await h.JobRowsAsync());
        Assert.Equal(nameof(JobState.Failed), row.State);
        Assert.Equal(ErrorCodes.InferenceFailed, row.ErrorCode);
        var failed = Assert.Single(await h.DrainEventsAsync());
        Assert.Equal(PipelineEventTypes.Failed, failed.Type);
        Assert.Equal(ErrorCodes.InferenceFailed, failed.ErrorCode);

        // Item 8: the failed job's decoded audio is deleted (before, only successes cleaned up) and no work folder stays.
        await AssertNothingLeftAsync(h);
    }

    [Fact]
    public async Task Bad_input_found_at_inference_is_recorded_once_with_its_code_and_its_decoded_channels_are_deleted()
    {
        // A split-channel recording whose model call refuses the input (MtlBatchException): the job fails at once.
        var refusing = new MessageThrowingAnalyzerSource("the recording is unusable (simulated)", ErrorCodes.DecodeFailed);
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:ModelVersion"] = "fail-2",
            ["Features:Rules:0:Prefix"] = "split/",
            ["Features:Rules:0:Channels"] = "Split",
        }, analyzer: refusing, countAnalyses: false);
        await h.UploadAsync("split/call.wav", TestMedia.Shared.Stereo(0, 1, 0.5));

        var report = await h.RunWorkerOnceAsync();

        Assert.Equal(1, report.JobsFailed);
        Assert.Equal(1, refusing.Calls);
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("split/call.wav/error.json"));
        Assert.Equal(ErrorCodes.DecodeFailed, error.Code);
        Assert.Equal(ErrorCodes.DecodeFailed, Assert.Single(await h.JobRowsAsync()).ErrorCode);
        Assert.Equal(ErrorCodes.DecodeFailed, Assert.Single(await h.DrainEventsAsync()).ErrorCode);
        await AssertNothingLeftAsync(h);
    }

    [Fact]
    public async Task The_recorder_refuses_a_code_that_is_not_a_stable_error_code()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var job = new JobEntity { JobId = new string('b', 32), Recording = "codes/x.wav", ModelVersion = "c-1" };
        await Assert.ThrowsAsync<ArgumentException>(() =>
            h.Get<FailureRecorder>().RecordAsync(job, "Timeout: something", "free text", FailureStage.Inference, [], CancellationToken.None));
        Assert.Empty(await h.JobRowsAsync());
        Assert.Empty(await h.ListResultsAsync());
    }

    private static async Task AssertNothingLeftAsync(PipelineHarness h)
    {
        var decoded = new List<string>();
        await foreach (var blob in h.Storage.Decoded.GetBlobsAsync()) decoded.Add(blob.Name);
        Assert.Empty(decoded);
        var work = h.Get<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value.WorkDirectory!;
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(work), e => Path.GetFileName(e).StartsWith("mtlbatch-", StringComparison.Ordinal));
    }

    /// <summary>A model that always throws: a plain exception with the given text, or bad input with a code.</summary>
    private sealed class MessageThrowingAnalyzerSource(string message, string? code = null) : ISpeechAnalyzerSource, ISpeechAnalyzer
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public string Device => "cpu";
        public ModelInfo Model { get; } = new() { Name = "throwing", Version = "fault-2", Sha256 = new string('0', 64) };

        public ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ISpeechAnalyzer>(this);

        public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
            IProgress<double>? progress, CancellationToken cancellationToken) => Throw();

        public Task<AnalysisResult> AnalyzeChannelsAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<float[]>>> channels, RecordingInfo recording,
            AnalysisOptions options, IProgress<double>? progress, CancellationToken cancellationToken) => Throw();

        private Task<AnalysisResult> Throw()
        {
            Interlocked.Increment(ref _calls);
            throw code is null ? new InvalidOperationException(message) : new MtlBatchException(code, message);
        }
    }
}
