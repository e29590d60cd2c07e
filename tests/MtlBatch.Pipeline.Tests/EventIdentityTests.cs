using Azure.Data.Tables;
using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// Completion event ids a consumer can deduplicate on: one id per result version (job id, model version, result
/// version), repeated only when the same result is reported again; <c>reason</c> says why the job ran.
/// </summary>
public sealed class EventIdentityTests
{
    [Fact]
    public async Task Every_forced_reprocess_gets_a_new_event_id_and_reason_while_a_repeated_report_keeps_its_id()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "ev-1" });
        const string name = "ev/call.wav";
        await h.UploadAsync(name, TestMedia.Shared.Speech(1));
        await h.RunWorkerOnceAsync();
        var first = Assert.Single(await h.DrainEventsAsync());
        Assert.Equal(SubmissionReasons.New, first.Reason);
        Assert.Equal(1, first.Attempt);
        Assert.Equal($"{first.JobId}-ev-1-1-succeeded", first.Id);

        var scheduler = h.Get<ReprocessScheduler>();
        var ids = new List<string> { first.Id };
        for (var round = 2; round <= 3; round++)
        {
            await scheduler.RunAsync(new ReprocessRequest { Prefix = "ev/", Force = true }, oneShot: true, CancellationToken.None);
            await h.RunWorkerOnceAsync();
            var forced = Assert.Single(await h.DrainEventsAsync());
            Assert.Equal(first.JobId, forced.JobId); // same bytes, same model: the same job, a new result version
            Assert.Equal(SubmissionReasons.Forced, forced.Reason);
            Assert.Equal(round, forced.Attempt);
            ids.Add(forced.Id);
        }
        Assert.Equal(3, h.AnalyzedRecordings.Count);
        Assert.Equal(3, ids.Distinct(StringComparer.Ordinal).Count());

        // A crash after result.json was committed but before the ledger said Succeeded: the redelivered message reports
        // the same result again, under the same id (consumers drop it), without running the model.
        var row = (await h.Storage.Jobs.GetEntityAsync<JobEntity>(first.JobId, JobEntity.Row)).Value;
        var job = new InferenceJob
        {
            JobId = row.JobId, Recording = row.Recording, Upload = row.Upload, ContentSha256 = row.ContentSha256, ModelVersion = row.ModelVersion,
            Attempt = 3, Reason = SubmissionReasons.Forced, DecodedBlob = row.JobId + ".wav", DurationSeconds = row.DurationSeconds,
            SourceSampleRate = 22050, SourceChannels = 1,
        };
        row.State = nameof(JobState.Running);
        await h.Storage.Jobs.UpsertEntityAsync(row, TableUpdateMode.Replace);
        var again = await h.Get<InferenceJobHandler>().HandleAsync(job.ToJson(), 2, CancellationToken.None);
        Assert.Equal(InferenceStatus.Succeeded, again.Status);
        Assert.Equal(3, h.AnalyzedRecordings.Count);
        Assert.Equal(ids[2], Assert.Single(await h.DrainEventsAsync()).Id);
    }

    [Fact]
    public async Task A_reprocess_for_a_new_model_version_says_reprocess()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "ev-1" });
        await h.UploadAsync("ev2/a.wav", TestMedia.Shared.Speech(2));
        await h.RunWorkerOnceAsync();
        Assert.Equal(SubmissionReasons.New, Assert.Single(await h.DrainEventsAsync()).Reason);
        h.KeepStorage = true;

        await using var next = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "ev-2" }, prefix: h.Prefix);
        await next.Get<ReprocessScheduler>().RunAsync(new ReprocessRequest { Prefix = "ev2/" }, oneShot: true, CancellationToken.None);
        await next.RunWorkerOnceAsync();
        var reprocessed = Assert.Single(await next.DrainEventsAsync());
        Assert.Equal(SubmissionReasons.Reprocess, reprocessed.Reason);
        Assert.Equal("ev-2", reprocessed.ModelVersion);
        Assert.EndsWith("-ev-2-1-succeeded", reprocessed.Id, StringComparison.Ordinal);
    }
}
