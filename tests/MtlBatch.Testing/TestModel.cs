using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Inference;
using MtlBatch.Pipeline;

namespace MtlBatch.Testing;

/// <summary>The real model for pipeline tests: one ONNX session per test process, shared by every harness.</summary>
public static class TestModel
{
    private static readonly Lazy<ModelAnalyzerSource> s_source = new(() => new ModelAnalyzerSource(
        Options.Create(new AnalysisOptions { ModelPath = RepoPaths.Model, Device = DevicePreference.Cpu, IntraOpThreads = 1 }),
        Options.Create(new PostProcessingOptions()), NullLoggerFactory.Instance));

    public static ISpeechAnalyzerSource Analyzers => s_source.Value;
}

/// <summary>
/// Decorates the REAL analyzer: records every analysed recording (exactly-once checks), the peak number of concurrent
/// analyses (concurrency limits), and can add a delay per call (to widen windows for kill/timeout tests), or per
/// recording name with <paramref name="delayFor"/> (e.g. recordings that always run over the inference timeout).
/// </summary>
public sealed class CountingAnalyzerSource(ISpeechAnalyzerSource inner, TimeSpan? delay = null, Func<string, TimeSpan?>? delayFor = null) : ISpeechAnalyzerSource
{
    private int _running;
    private int _maxRunning;
    public ConcurrentQueue<string> Calls { get; } = new();
    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public async ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken) =>
        new CountingAnalyzer(await inner.GetAnalyzerAsync(cancellationToken), this);

    /// <summary>The vocabulary asked for with each analyzer request (null = the default decoder).</summary>
    public ConcurrentQueue<VocabularySelection?> Vocabularies { get; } = new();

    public async ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(VocabularySelection? vocabulary, CancellationToken cancellationToken)
    {
        Vocabularies.Enqueue(vocabulary);
        return new CountingAnalyzer(await inner.GetAnalyzerAsync(vocabulary, cancellationToken), this);
    }

    private sealed class CountingAnalyzer(ISpeechAnalyzer inner, CountingAnalyzerSource owner) : ISpeechAnalyzer
    {
        public string Device => inner.Device;
        public ModelInfo Model => inner.Model;

        public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
            IProgress<double>? progress, CancellationToken cancellationToken) =>
            CountAsync(recording, ct => inner.AnalyzeAsync(samples, recording, options, progress, ct), cancellationToken);

        public Task<AnalysisResult> AnalyzeChannelsAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<float[]>>> channels, RecordingInfo recording,
            AnalysisOptions options, IProgress<double>? progress, CancellationToken cancellationToken) =>
            CountAsync(recording, ct => inner.AnalyzeChannelsAsync(channels, recording, options, progress, ct), cancellationToken);

        private async Task<AnalysisResult> CountAsync(RecordingInfo recording, Func<CancellationToken, Task<AnalysisResult>> analyze, CancellationToken cancellationToken)
        {
            owner.Calls.Enqueue(recording.Name);
            var now = Interlocked.Increment(ref owner._running);
            int seen;
            while (now > (seen = Volatile.Read(ref owner._maxRunning)) && Interlocked.CompareExchange(ref owner._maxRunning, now, seen) != seen) { }
            try
            {
                if (owner.DelayFor(recording.Name) is { } d) await Task.Delay(d, cancellationToken);
                return await analyze(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref owner._running);
            }
        }
    }

    public TimeSpan? DelayPerCall { get; } = delay;

    public TimeSpan? DelayFor(string recording) => delayFor?.Invoke(recording) ?? DelayPerCall;
}

/// <summary>Records the method and path of every storage request (to prove work was NOT done, e.g. no download).</summary>
