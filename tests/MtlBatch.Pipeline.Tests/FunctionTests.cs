using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using MtlBatch.Core;
using MtlBatch.Functions;

namespace MtlBatch.Pipeline.Tests;

/// <summary>The function classes called with the arguments the host passes: a BlobClient + name, real queue messages, HTTP requests.</summary>
public sealed class FunctionTests
{
    [Fact]
    public async Task Blob_queue_and_http_functions_run_the_pipeline_with_real_trigger_payloads()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "fn-1" });
        const string name = "fn/meeting notes.m4a";
        await h.UploadAsync(name, TestMedia.Shared.Speech(3, "m4a"));

        // Blob trigger: the host binds the blob (BlobClient) and the {name} path segment.
        var intake = await new OnRecordingUploaded(h.Get<RecordingIntakeHandler>())
            .Run(h.Storage.Recordings.GetBlobClient(name), name, CancellationToken.None);
        Assert.Equal(1, intake.Enqueued);

        // Queue trigger: the real message as received from the queue (with its dequeue count).
        QueueMessage message = Assert.Single((await h.Storage.InferenceQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        var outcome = await new RunInference(h.Get<InferenceJobHandler>()).Run(message, CancellationToken.None);
        Assert.Equal(InferenceStatus.Succeeded, outcome.Status);
        var job = MtlJson.Deserialize<InferenceJob>(message.MessageText);
        Assert.Equal(outcome.JobId, job.JobId);
        Assert.Equal("fn-1", job.ModelVersion);
        Assert.Equal(1, job.Attempt);

        // The same message again (at-least-once delivery): no second inference.
        var duplicate = await new RunInference(h.Get<InferenceJobHandler>()).Run(message, CancellationToken.None);
        Assert.Equal(InferenceStatus.AlreadySucceeded, duplicate.Status);
        Assert.Single(h.AnalyzedRecordings);
        await h.Storage.InferenceQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);

        var context = new TestFunctionContext(h.Services);
        var getJob = new GetJob(h.Get<PipelineApi>());

        // GET jobs/{id}
        var byId = (TestHttpResponseData)await getJob.Run(new TestHttpRequestData(context, "GET", new Uri($"http://localhost/api/jobs/{job.JobId}")), job.JobId, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        var body = JsonNode.Parse(byId.ReadBody())!;
        Assert.Equal(nameof(JobState.Succeeded), (string?)body["state"]);
        Assert.Equal(name, (string?)body["recording"]);
        Assert.Equal("fn-1", (string?)body["modelVersion"]);
        Assert.Equal(1, (int?)body["attempts"]);
        Assert.True((double?)body["inferenceSeconds"] > 0);

        // GET jobs?recording=...
        var byRecording = (TestHttpResponseData)await getJob.Run(
            new TestHttpRequestData(context, "GET", new Uri("http://localhost/api/jobs?recording=" + Uri.EscapeDataString(name))), null, CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, byRecording.StatusCode);
        Assert.Equal(job.JobId, (string?)JsonNode.Parse(byRecording.ReadBody())!["jobId"]);

        var missing = await getJob.Run(new TestHttpRequestData(context, "GET", new Uri("http://localhost/api/jobs/0123abcd")), "0123abcd", CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var neither = await getJob.Run(new TestHttpRequestData(context, "GET", new Uri("http://localhost/api/jobs")), null, CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);

        // POST reprocess {prefix, force}: answers 202 with a batch id at once; the scan message, then the intake
        // message, then the inference job re-run the recording although its results are current.
        var reprocess = new Reprocess(h.Get<PipelineApi>());
        var forced = (TestHttpResponseData)await reprocess.Run(
            new TestHttpRequestData(context, "POST", new Uri("http://localhost/api/reprocess"), """{"prefix":"fn/","force":true}"""), CancellationToken.None);
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        var batch = JsonNode.Parse(forced.ReadBody())!;
        Assert.Matches("^[0-9a-f]{32}$", (string?)batch["batchId"]);
        Assert.True((bool?)batch["force"]);
        Assert.Equal(0, (await h.Storage.InferenceQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        var badBody = await reprocess.Run(new TestHttpRequestData(context, "POST", new Uri("http://localhost/api/reprocess"), "{not json"), CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);

        var scanMessage = Assert.Single((await h.Storage.ReprocessQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        var scan = await new ScanForReprocess(h.Get<ReprocessScheduler>()).Run(scanMessage, CancellationToken.None);
        Assert.Equal(new ScanOutcome((string?)batch["batchId"], ScanStatus.Scanned, 1, 1, LastPage: true), scan);
        var intakeMessage = Assert.Single((await h.Storage.IntakeQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        Assert.Equal(1, (await new RunQueuedIntake(h.Get<RecordingIntakeHandler>()).Run(intakeMessage, CancellationToken.None))!.Enqueued);

        var forcedMessage = Assert.Single((await h.Storage.InferenceQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        Assert.Equal(InferenceStatus.Succeeded, (await new RunInference(h.Get<InferenceJobHandler>()).Run(forcedMessage, CancellationToken.None)).Status);
        Assert.Equal(2, h.AnalyzedRecordings.Count);

        // Poison trigger: a message the host moved to the poison queue for a job that never finished.
        var stuck = job with { JobId = JobLedger.ComputeJobId("fn/stuck.wav", new string('a', 64), "fn-1"), Recording = "fn/stuck.wav" };
        await h.Storage.PoisonQueue.SendMessageAsync(stuck.ToJson());
        var poisonMessage = Assert.Single((await h.Storage.PoisonQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
        var poisoned = await new WatchPoison(h.Get<PoisonJobHandler>()).Run(poisonMessage, CancellationToken.None);
        Assert.Equal(InferenceStatus.Failed, poisoned.Status);
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("fn/stuck.wav/error.json"));
        Assert.Equal(ErrorCodes.InferenceFailed, error.Code);
        Assert.Equal(nameof(JobState.Failed), (await h.Get<JobQueryService>().GetByJobIdAsync(stuck.JobId, CancellationToken.None))!.State);
    }
}
