using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MtlBatch.Pipeline.Tests;

/// <summary>Crash recovery of the local worker (issue 14, item 8): a short lease, and a log line when a job comes back after one expired.</summary>
public sealed class LeaseTests
{
    [Fact]
    public void The_worker_lease_is_between_one_and_two_minutes()
    {
        // Before issue 14 it was 10 minutes: a killed worker's job waited that long, silently.
        Assert.InRange(new WorkerOptions().MessageLease, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task A_job_left_running_by_a_dead_worker_is_retried_with_a_log_line_once_its_lease_expires()
    {
        var logs = new CapturingLoggerProvider();
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?> { ["Pipeline:ModelVersion"] = "lease-1" },
            services => services.AddLogging(b => b.AddProvider(logs)));
        await h.UploadAsync("lease/call.wav", TestMedia.Shared.Speech(9));
        var intake = await h.Get<RecordingIntakeHandler>().HandleAsync("lease/call.wav", null, CancellationToken.None);
        Assert.Equal(1, intake.Enqueued);

        // A worker receives the job with a 1 s lease, records Running and dies (kill -9: no outcome, no release).
        var message = Assert.Single((await h.Storage.InferenceQueue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value);
        var job = InferenceJob.TryParse(message.MessageText)!;
        var ledger = h.Get<JobLedger>();
        await ledger.MarkRunningAsync((await ledger.GetJobAsync(job.JobId, CancellationToken.None))!, 1, CancellationToken.None);
        Assert.DoesNotContain("lease expired", logs.Text, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var report = await h.RunWorkerOnceAsync();
        Assert.Equal(1, report.JobsSucceeded);
        Assert.Contains($"Job {job.JobId} (lease/call.wav) was left Running by a previous delivery", logs.Text, StringComparison.Ordinal);
        Assert.Contains("lease expired without an outcome; retrying it (delivery 2)", logs.Text, StringComparison.Ordinal);
        Assert.Equal(nameof(JobState.Succeeded), (await ledger.GetJobAsync(job.JobId, CancellationToken.None))!.State);
    }
}
