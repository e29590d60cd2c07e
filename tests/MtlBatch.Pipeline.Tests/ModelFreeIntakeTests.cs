using Microsoft.ML.OnnxRuntime;
using MtlBatch.Core;
using MtlBatch.Inference;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Issue 14, item 4: intake, submission and reprocessing learn the model version from the .onnx file's metadata (or
/// <c>Pipeline:ModelVersion</c>) without creating a session; reprocessing only enqueues; intake and inference interleave.
/// </summary>
public sealed class ModelFreeIntakeTests
{
    [Fact]
    public async Task The_metadata_reader_returns_what_onnx_runtime_reads_from_the_same_files()
    {
        foreach (var model in new[] { RepoPaths.Model, Path.Combine(RepoPaths.Root, "models", "dev", "mtl-untrained.onnx") })
        {
            using var session = new InferenceSession(model);
            var expected = session.ModelMetadata.CustomMetadataMap;
            var read = await OnnxMetadataReader.ReadAsync(model, CancellationToken.None);
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), read.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.False(string.IsNullOrEmpty(read[ModelContract.MetadataKeys.Version]));
        }

        // Not a protobuf message: a length that runs past the end of the file.
        var broken = Path.Combine(RepoPaths.NewTempFolder("mtlbatch-onnx"), "broken.onnx");
        await File.WriteAllBytesAsync(broken, [0x3A, 0xFF, 0xFF, 0x7F, 0x00]);
        await Assert.ThrowsAsync<InvalidDataException>(() => OnnxMetadataReader.ReadAsync(broken, CancellationToken.None));
        Directory.Delete(Path.GetDirectoryName(broken)!, recursive: true);
    }

    [Fact]
    public async Task Intake_submission_and_reprocessing_never_ask_for_the_model_session()
    {
        // An analyzer source that refuses to load: before the fix, intake called it to learn the version.
        var refusing = new RefusingAnalyzerSource();
        await using var h = await PipelineHarness.CreateAsync(analyzer: refusing, countAnalyses: false);
        var expectedVersion = (await TestModel.Analyzers.GetAnalyzerAsync(CancellationToken.None)).Model.Version;

        var submitted = await h.Get<SubmissionService>().SubmitAsync(TestMedia.Shared.Speech(0), "nomodel/a.wav", CancellationToken.None);
        Assert.True(submitted.Uploaded, submitted.Error);
        var outcome = await h.Get<RecordingIntakeHandler>().HandleAsync("nomodel/a.wav", IntakeRequest.Default, CancellationToken.None);
        Assert.Equal(1, outcome.Enqueued);

        var message = Assert.Single((await h.Storage.InferenceQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        var job = MtlJson.Deserialize<InferenceJob>(message.MessageText);
        Assert.Equal(expectedVersion, job.ModelVersion);
        Assert.Equal(Assert.Single(submitted.Recordings).JobId, job.JobId);

        // A forced reprocess batch: queued, scanned, its intake run — still no session.
        var scheduler = h.Get<ReprocessScheduler>();
        var batch = await scheduler.StartBatchAsync(new ReprocessRequest { Prefix = "nomodel/", Force = true }, CancellationToken.None);
        var scan = Assert.Single((await h.Storage.ReprocessQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        Assert.Equal(new ScanOutcome(batch.BatchId, ScanStatus.Scanned, 1, 1, LastPage: true), await scheduler.HandleScanAsync(scan.MessageText, CancellationToken.None));
        var intake = Assert.Single((await h.Storage.IntakeQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        Assert.Equal(1, (await h.Get<RecordingIntakeHandler>().HandleQueuedAsync(intake.MessageText, 1, CancellationToken.None))!.Enqueued);

        Assert.Equal(0, refusing.Calls);
    }

    [Fact]
    public async Task A_reprocess_batch_only_enqueues_and_is_throttled_by_the_queues_then_resumes()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:ModelVersion"] = "scan-1",
            ["Reprocess:PageSize"] = "2",
            ["Reprocess:MaxQueueLength"] = "2",
            ["Reprocess:ThrottleDelay"] = "00:00:01",
        });
        for (var i = 0; i < 5; i++) await h.UploadAsync($"scan/{i}.wav", TestMedia.Shared.Speech(i));
        var scheduler = h.Get<ReprocessScheduler>();

        var batch = await scheduler.StartBatchAsync(new ReprocessRequest { Prefix = "scan/" }, CancellationToken.None);
        var outcomes = new List<ScanOutcome>();
        // Scan pages without running intake: page 1 and 2 queue 4 uploads, then the queue is over its limit.
        for (var n = 0; n < 3; n++)
        {
            var message = Assert.Single((await h.Storage.ReprocessQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
            outcomes.Add(await scheduler.HandleScanAsync(message.MessageText, CancellationToken.None));
            await h.Storage.ReprocessQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
        Assert.Equal([ScanStatus.Scanned, ScanStatus.Scanned, ScanStatus.Throttled], outcomes.Select(o => o.Status));
        Assert.All(outcomes, o => Assert.Equal(batch.BatchId, o.BatchId));
        Assert.Equal(4, (await h.Storage.IntakeQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(0, (await h.Storage.InferenceQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty(await h.JobRowsAsync());

        // The worker drains the intake queue; the put-back scan (invisible for ThrottleDelay) queues the last page.
        var report = await h.RunWorkerOnceAsync();
        Assert.Equal(1, report.ReprocessScanPages); // the put-back last page, scanned once the queue had room
        Assert.Equal(5, h.AnalyzedRecordings.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(5, h.AnalyzedRecordings.Count);
    }

    [Fact]
    public async Task The_worker_starts_inference_before_intake_of_a_batch_is_finished()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "mix-1" });
        for (var i = 0; i < 4; i++) await h.UploadAsync($"mix/{i}.wav", TestMedia.Shared.Speech(i));

        await h.RunWorkerOnceAsync();

        var rows = await h.JobRowsAsync();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(nameof(JobState.Succeeded), r.State));
        // Before issue 14 every upload went through intake before the first job started.
        var firstStart = rows.Min(r => r.StartedAt!.Value);
        var lastQueued = rows.Max(r => r.QueuedAt!.Value);
        Assert.True(firstStart < lastQueued, $"first inference started {firstStart:O}, after the last intake queued its job {lastQueued:O}");
    }

    private sealed class RefusingAnalyzerSource : ISpeechAnalyzerSource
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("the model session must not be created here");
        }
    }
}
