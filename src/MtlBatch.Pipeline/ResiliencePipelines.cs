using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace MtlBatch.Pipeline;

/// <summary>
/// Lets a host add strategies to a named pipeline after the standard ones (so they sit INSIDE the retries).
/// Tests register one that adds Polly chaos strategies (faults, latency) to <see cref="ResiliencePipelines.Storage"/>.
/// </summary>
public interface IResiliencePipelineHook
{
    void Configure(string pipelineKey, ResiliencePipelineBuilder builder);
}

/// <summary>
/// Every resilience policy of the pipeline, built in this one place:
/// <list type="bullet">
/// <item><see cref="Storage"/>: retries with exponential backoff and jitter on transient storage errors (408, 429, 5xx, timeouts, I/O).</item>
/// <item><see cref="Inference"/>: a circuit breaker around the model session and a timeout per recording.</item>
/// <item><see cref="Events"/>: retries for webhook and Event Grid delivery.</item>
/// </list>
/// </summary>
public sealed class ResiliencePipelines
{
    public const string Storage = "mtlbatch-storage";
    public const string Inference = "mtlbatch-inference";
    public const string Events = "mtlbatch-events";

    private readonly ResiliencePipelineRegistry<string> _registry = new();

    public ResiliencePipelines(IOptions<ResilienceOptions> options, IEnumerable<IResiliencePipelineHook> hooks, ILogger<ResiliencePipelines> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        var hookList = hooks.ToList();

        _registry.TryAddBuilder(Storage, (builder, _) =>
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransientStorageError(e, args.Context.CancellationToken)),
                MaxRetryAttempts = o.StorageMaxRetries,
                Delay = o.StorageBaseDelay,
                MaxDelay = o.StorageMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("Storage call failed ({Error}); retry {Attempt} in {Delay}", args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
            foreach (var hook in hookList) hook.Configure(Storage, builder);
        });

        _registry.TryAddBuilder(Inference, (builder, _) =>
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Bad input is the recording's fault, not the session's; cancellation is nobody's.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null and not MtlBatchException and not OperationCanceledException
                                                            || args.Outcome.Exception is TimeoutRejectedException),
                FailureRatio = o.BreakerFailureRatio,
                MinimumThroughput = o.BreakerMinimumThroughput,
                SamplingDuration = o.BreakerSamplingDuration,
                BreakDuration = o.BreakerBreakDuration,
                OnOpened = args =>
                {
                    logger.LogError("Model session circuit opened for {BreakDuration} after repeated failures", args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    logger.LogInformation("Model session circuit closed");
                    return default;
                },
            });
            builder.AddTimeout(o.InferenceTimeout);
            foreach (var hook in hookList) hook.Configure(Inference, builder);
        });

        _registry.TryAddBuilder(Events, (builder, _) =>
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    && (e is HttpRequestException or WebhookDeliveryException || IsTransientStorageError(e, args.Context.CancellationToken))),
                MaxRetryAttempts = o.EventsMaxRetries,
                Delay = o.EventsBaseDelay,
                MaxDelay = TimeSpan.FromMinutes(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("Event delivery failed ({Error}); retry {Attempt} in {Delay}", args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
            foreach (var hook in hookList) hook.Configure(Events, builder);
        });
    }

    public ResiliencePipeline Get(string key) => _registry.GetPipeline(key);

    public ResiliencePipeline StoragePipeline => _registry.GetPipeline(Storage);
    public ResiliencePipeline InferencePipeline => _registry.GetPipeline(Inference);
    public ResiliencePipeline EventsPipeline => _registry.GetPipeline(Events);

    /// <summary>Runs one storage call with the storage retries.</summary>
    public ValueTask<T> StorageAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        StoragePipeline.ExecuteAsync(call, cancellationToken);

    public ValueTask StorageAsync(Func<CancellationToken, ValueTask> call, CancellationToken cancellationToken) =>
        StoragePipeline.ExecuteAsync(call, cancellationToken);

    /// <summary>408 Request Timeout, 429 Too Many Requests, 5xx, network-level failures (status 0), timeouts and I/O errors.</summary>
    public static bool IsTransientStorageError(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        TimeoutException or IOException or HttpRequestException => true,
        // An SDK-internal timeout surfaces as a cancellation that nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException a => a.InnerExceptions.All(e => IsTransientStorageError(e, cancellationToken)),
        _ => false,
    };
}

/// <summary>A webhook answered with a status that deserves a retry (5xx, 408, 429).</summary>
public sealed class WebhookDeliveryException(string message) : Exception(message);
