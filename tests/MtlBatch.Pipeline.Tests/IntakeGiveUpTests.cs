using MtlBatch.Core;

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
}
