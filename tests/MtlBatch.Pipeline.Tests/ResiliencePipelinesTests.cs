using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Testing;
using Polly.Timeout;

namespace MtlBatch.Pipeline.Tests;

public sealed class ResiliencePipelinesTests
{
    private static ResiliencePipelines Create(ResilienceOptions? options = null) =>
        new(Options.Create(options ?? new ResilienceOptions()), [], NullLogger<ResiliencePipelines>.Instance);

    [Fact]
    public void Storage_retries_with_exponential_jittered_backoff_and_inference_has_a_breaker_and_a_timeout()
    {
        var options = new ResilienceOptions { StorageMaxRetries = 7, InferenceTimeout = TimeSpan.FromMinutes(9) };
        var pipelines = Create(options);

        var storage = pipelines.StoragePipeline.GetPipelineDescriptor();
        var retry = Assert.IsType<RetryStrategyOptions>(Assert.Single(storage.Strategies).Options);
        Assert.Equal(7, retry.MaxRetryAttempts);
        Assert.Equal(Polly.DelayBackoffType.Exponential, retry.BackoffType);
        Assert.True(retry.UseJitter);

        var inference = pipelines.InferencePipeline.GetPipelineDescriptor();
        Assert.Collection(inference.Strategies,
            s => Assert.IsType<CircuitBreakerStrategyOptions>(s.Options),
            s => Assert.Equal(TimeSpan.FromMinutes(9), Assert.IsType<TimeoutStrategyOptions>(s.Options).Timeout));
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(0, true)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void Transient_storage_errors_are_408_429_5xx_and_network_failures(int status, bool transient) =>
        Assert.Equal(transient, ResiliencePipelines.IsTransientStorageError(new RequestFailedException(status, "x"), CancellationToken.None));

    [Fact]
    public async Task A_transient_storage_error_is_retried_and_a_permanent_one_is_not()
    {
        var pipelines = Create(new ResilienceOptions { StorageBaseDelay = TimeSpan.FromMilliseconds(1) });
        var calls = 0;
        var value = await pipelines.StorageAsync(_ => ++calls < 3 ? throw new RequestFailedException(503, "busy") : ValueTask.FromResult(42), CancellationToken.None);
        Assert.Equal((42, 3), (value, calls));

        calls = 0;
        await Assert.ThrowsAsync<RequestFailedException>(async () =>
            await pipelines.StorageAsync<int>(_ => { calls++; throw new RequestFailedException(404, "missing"); }, CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Job_ids_are_stable_per_recording_content_and_model_version()
    {
        var sha = new string('c', 64);
        var id = JobLedger.ComputeJobId("a/b.wav", sha, "1.0");
        Assert.Equal(id, JobLedger.ComputeJobId("a/b.wav", sha, "1.0"));
        Assert.NotEqual(id, JobLedger.ComputeJobId("a/b.wav", sha, "1.1"));
        Assert.NotEqual(id, JobLedger.ComputeJobId("a/c.wav", sha, "1.0"));
        Assert.NotEqual(id, JobLedger.ComputeJobId("a/b.wav", new string('d', 64), "1.0"));
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Theory]
    [InlineData("calls/a.mp3", true)]
    [InlineData("name with spaces ünï.wav", true)]
    [InlineData("../x.wav", false)]
    [InlineData("/abs.wav", false)]
    [InlineData("a//b.wav", false)]
    [InlineData("a\\b.wav", false)]
    public void Unsafe_names_never_become_result_paths(string name, bool safe)
    {
        Assert.Equal(safe, RecordingPaths.Problem(name, 1024) is null);
        var folder = RecordingPaths.ResultsFolder(name);
        Assert.Equal(safe, folder == name);
        Assert.DoesNotContain("..", folder, StringComparison.Ordinal);
    }
}
