using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Inference;

namespace MtlBatch.Pipeline;

/// <summary>Hands out the process's analyzer. One ONNX Runtime session per process, loaded on first use.</summary>
public interface ISpeechAnalyzerSource
{
    ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The analyzer that decodes with <paramref name="vocabulary"/> (a per-prefix custom vocabulary, see
    /// <see cref="RecordingFeatureRule.Vocabulary"/>) over the same model; null = the default one. Sources that cannot build
    /// one refuse rather than silently decode without the vocabulary.
    /// </summary>
    ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(VocabularySelection? vocabulary, CancellationToken cancellationToken) =>
        vocabulary is null ? GetAnalyzerAsync(cancellationToken)
            : throw new NotSupportedException($"{GetType().Name} cannot decode with a custom vocabulary ({vocabulary.Path}).");
}

/// <summary>Loads the model once with <see cref="MtlModelFactory"/> (CUDA with CPU fallback) and shares its session.</summary>
public sealed class ModelAnalyzerSource(IOptions<AnalysisOptions> options, IOptions<PostProcessingOptions> postProcessing, ILoggerFactory loggerFactory)
    : ISpeechAnalyzerSource, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private MtlModelFactory? _factory;
    private ISpeechAnalyzer? _analyzer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, double? Boost), Lazy<ISpeechAnalyzer>> _withVocabulary = new();

    /// <summary>One analyzer per vocabulary file and boost, sharing the session; its lexicon is built once, on first use.</summary>
    public async ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(VocabularySelection? vocabulary, CancellationToken cancellationToken)
    {
        var plain = await GetAnalyzerAsync(cancellationToken).ConfigureAwait(false);
        if (vocabulary is null) return plain;
        var key = (Path.GetFullPath(vocabulary.Path), vocabulary.Boost);
        return _withVocabulary.GetOrAdd(key, k => new Lazy<ISpeechAnalyzer>(() =>
        {
            var transcription = postProcessing.Value.Transcription.Copy();
            transcription.VocabularyPath = k.Path;
            if (k.Boost is { } boost) transcription.VocabularyBoost = boost;
            var settings = new PostProcessingOptions
            {
                Vad = postProcessing.Value.Vad, Diarization = postProcessing.Value.Diarization, Emotion = postProcessing.Value.Emotion,
                Transcription = transcription,
            };
            return _factory!.CreateAnalyzer(settings);
        })).Value;
    }

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

/// <summary>
/// The model version that names jobs: <see cref="PipelineOptions.ModelVersion"/> when set, else the <c>mtl.version</c> in
/// the model file's metadata, read without an inference session (<see cref="OnnxMetadataReader"/>): intake,
/// <c>mtlbatch submit</c> and reprocessing never load the model. Cached per file (path, size, write time).
/// </summary>
public sealed class ModelVersionProvider(IOptionsMonitor<PipelineOptions> options, IOptions<AnalysisOptions> analysisOptions, ILogger<ModelVersionProvider> logger)
{
    /// <summary>What the session reports (<see cref="ModelDescription"/>) for a model without <c>mtl.version</c>.</summary>
    public const string UnversionedModel = "0.0.0";

    private volatile CachedVersion? _cached;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (options.CurrentValue.ModelVersion is { Length: > 0 } configured) return configured;
        var path = ModelAnalyzerSource.ResolveModelPath(analysisOptions.Value.ModelPath);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"The model file {path} does not exist (Analysis:ModelPath).", path);
        var key = $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}";
        if (_cached is { } hit && hit.Key == key) return hit.Version;
        // Concurrent first calls may both read the metadata (a few KB after a seek): harmless, no lock needed.
        var metadata = await OnnxMetadataReader.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var version = metadata.TryGetValue(ModelContract.MetadataKeys.Version, out var v) && v.Length > 0 ? v : UnversionedModel;
        logger.LogInformation("Model version {ModelVersion} read from the metadata of {ModelPath} (no session)", version, path);
        _cached = new CachedVersion(key, version);
        return version;
    }

    private sealed record CachedVersion(string Key, string Version);
}
