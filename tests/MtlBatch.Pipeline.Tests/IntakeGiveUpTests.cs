using MtlBatch.Core;
using MtlBatch.Functions;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Every upload ends in a result or an error record, even when its intake fails for a reason that is not the input's:
/// after <c>Pipeline:MaxDequeueCount</c> attempts the upload gets error.json (internal-error), a Failed ledger row and a
/// failure event, the worker's run counts it as a failure, and a queued intake message moves to <c>intake-jobs-poison</c>
/// (before: the upload was given up with a log line only, and the queued message was dropped).
/// </summary>
public sealed class IntakeGiveUpTests
{
    [Fact]
    public async Task An_intake_that_keeps_failing_ends_in_an_error_record_and_its_queued_message_in_the_poison_queue()
    {
        // The work directory is a file: every intake attempt throws IOException before it decodes anything.
        var blocker = Path.Combine(RepoPaths.NewTempFolder("mtlbatch-giveup"), "not-a-folder");
        await File.WriteAllTextAsync(blocker, "a file where the intake wants its work folder");
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:WorkDirectory"] = blocker,
            ["Pipeline:MaxDequeueCount"] = "3",
        });
        await h.UploadAsync("giveup/a.wav", TestMedia.Shared.Speech(0));

        var report = await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(1, report.UploadsGivenUp);
        Assert.True(report.Failures >= 1);
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("giveup/a.wav/error.json"));
        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("3 times", error.Message, StringComparison.Ordinal);
        Assert.Matches("(IO|DirectoryNotFound)Exception", error.Message); // the cause is named
        var row = Assert.Single(await h.JobRowsAsync(), r => r.Recording == "giveup/a.wav");
        Assert.Equal(JobState.Failed, row.GetState());
        Assert.Equal(ErrorCodes.Internal, row.ErrorCode);
        var failed = Assert.Single(await h.DrainEventsAsync(), e => e.Recording == "giveup/a.wav");
        Assert.Equal(ErrorCodes.Internal, failed.ErrorCode);
        // Handled, but not as bad input: reprocessing may try it again (bad input it would skip for good).
        var upload = Assert.Single(await h.UploadRowsAsync(), u => u.Upload == "giveup/a.wav");
        Assert.False(upload.InputError);

        // A queued intake (what reprocessing sends) for the same upload: the handler records the failure on its last
        // delivery, and the message is kept in intake-jobs-poison rather than dropped.
        await h.Storage.IntakeQueue.SendMessageAsync(MtlJson.Serialize(new IntakeWork { Upload = "giveup/a.wav", Force = true }, indented: false));
        report = await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(1, report.UploadsGivenUp);
        var poisoned = Assert.Single((await h.Storage.IntakePoisonQueue.ReceiveMessagesAsync(5)).Value);
        Assert.Equal("giveup/a.wav", IntakeWork.TryParse(poisoned.MessageText)!.Upload);
        Assert.Empty((await h.Storage.IntakeQueue.PeekMessagesAsync(5)).Value);
        Assert.Contains(await h.DrainEventsAsync(), e => e.Recording == "giveup/a.wav" && e.ErrorCode == ErrorCodes.Internal);
        Directory.Delete(Path.GetDirectoryName(blocker)!, recursive: true);
    }

    /// <summary>
    /// The Functions blob trigger gives a function no attempt count, so its give-up is seen only on the host's
    /// <c>webjobs-blobtrigger-poison</c> queue: WatchBlobTriggerPoison records the upload's failure from that message
    /// (before: the upload ended in the poison queue with no error record). Stale messages record nothing.
    /// </summary>
    [Fact]
    public async Task A_blob_triggered_intake_the_host_gave_up_on_ends_in_an_error_record()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:MaxDequeueCount"] = "5" });
        var watcher = new WatchBlobTriggerPoison(h.Get<RecordingIntakeHandler>());
        await h.UploadAsync("trigger/a.wav", TestMedia.Shared.Speech(0));
        await h.UploadAsync("trigger/replaced.wav", TestMedia.Shared.Speech(1));
        var etagA = (await h.Storage.Recordings.GetBlobClient("trigger/a.wav").GetPropertiesAsync()).Value.ETag;
        var oldETag = (await h.Storage.Recordings.GetBlobClient("trigger/replaced.wav").GetPropertiesAsync()).Value.ETag;
        await h.UploadAsync("trigger/replaced.wav", TestMedia.Shared.Speech(2)); // a new version: its own trigger handles it

        async Task<bool> Deliver(string container, string blob, string etag)
        {
            // The host's message, as Microsoft.Azure.WebJobs.Extensions.Storage.Blobs serialises it.
            var text = $$"""{"Type":"BlobTrigger","FunctionId":"Host.Functions.OnRecordingUploaded","BlobType":"BlockBlob","ContainerName":"{{container}}","BlobName":"{{blob}}","ETag":{{System.Text.Json.JsonSerializer.Serialize(etag)}}}""";
            await h.Storage.BlobTriggerPoisonQueue.SendMessageAsync(text);
            var message = Assert.Single((await h.Storage.BlobTriggerPoisonQueue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(1))).Value);
            return await watcher.Run(message, CancellationToken.None);
        }

        var recordings = h.Storage.Recordings.Name;
        Assert.True(await Deliver(recordings, "trigger/a.wav", etagA.ToString()));
        var error = MtlJson.Deserialize<ErrorRecord>(await h.ReadResultTextAsync("trigger/a.wav/error.json"));
        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("blob trigger", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 times", error.Message, StringComparison.Ordinal);
        var row = Assert.Single(await h.JobRowsAsync(), r => r.Recording == "trigger/a.wav");
        Assert.Equal(JobState.Failed, row.GetState());
        Assert.Single(await h.DrainEventsAsync(), e => e.Recording == "trigger/a.wav" && e.ErrorCode == ErrorCodes.Internal);
        Assert.False(Assert.Single(await h.UploadRowsAsync(), u => u.Upload == "trigger/a.wav").InputError); // a reprocess tries it again

        // Stale or foreign messages record nothing: the same message again, a replaced blob's old version, a deleted
        // upload, another container, not a blob-trigger message.
        Assert.False(await Deliver(recordings, "trigger/a.wav", etagA.ToString()));
        Assert.False(await Deliver(recordings, "trigger/replaced.wav", oldETag.ToString()));
        Assert.False(await Deliver(recordings, "trigger/never-uploaded.wav", "\"0x1\""));
        Assert.False(await Deliver("azure-webjobs-hosts", "trigger/a.wav", etagA.ToString()));
        await h.Storage.BlobTriggerPoisonQueue.SendMessageAsync("{\"Upload\":\"trigger/a.wav\"}");
        Assert.False(await watcher.Run(Assert.Single((await h.Storage.BlobTriggerPoisonQueue.ReceiveMessagesAsync(1)).Value), CancellationToken.None));
        Assert.Empty(await h.DrainEventsAsync());
        Assert.DoesNotContain("trigger/replaced.wav/error.json", (await h.ListResultsAsync()).Keys);
    }
}
