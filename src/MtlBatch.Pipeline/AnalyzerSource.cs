using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Inference;

namespace MtlBatch.Pipeline;

/// <summary>Hands out the process's analyzer. One ONNX Runtime session per process, loaded on first use.</summary>
public interface ISpeechAnalyzerSource
{
    ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken);
}

/// <summary>Loads the model once with <see cref="MtlModelFactory"/> (CUDA with CPU fallback) and shares its session.</summary>
public sealed class ModelAnalyzerSource(IOptions<AnalysisOptions> options, IOptions<PostProcessingOptions> postProcessing, ILoggerFactory loggerFactory)
    : ISpeechAnalyzerSource, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private MtlModelFactory? _factory;
    private ISpeechAnalyzer? _analyzer;

    public async ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken)
    {
        if (_analyzer is { } ready) return ready;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_analyzer is null)
            {
                var path = ResolveModelPath(options.Value.ModelPath);
                // Session creation is CPU-bound and synchronous; keep it off the caller's thread.
                _factory = await Task.Run(() => MtlModelFactory.FromPath(path, MtlModelOptions.From(options.Value), loggerFactory), cancellationToken)
                    .ConfigureAwait(false);
                _analyzer = _factory.CreateAnalyzer(postProcessing.Value);
            }
            return _analyzer;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The configured path, else the bundled models/mtl-small.onnx (<see cref="ModelLocator"/>).</summary>
    public static string ResolveModelPath(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? ModelLocator.FindDefault() : Path.GetFullPath(configured);

    public void Dispose()
    {
        _factory?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The model version that names jobs: <see cref="PipelineOptions.ModelVersion"/> when set, else the model's own.</summary>
public sealed class ModelVersionProvider(ISpeechAnalyzerSource analyzers, IOptionsMonitor<PipelineOptions> options)
{
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (options.CurrentValue.ModelVersion is { Length: > 0 } configured) return configured;
        var analyzer = await analyzers.GetAnalyzerAsync(cancellationToken).ConfigureAwait(false);
        return analyzer.Model.Version;
    }
}
