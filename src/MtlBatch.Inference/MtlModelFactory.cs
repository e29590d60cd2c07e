using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using MtlBatch.Core;

namespace MtlBatch.Inference;

/// <summary>How the ONNX session is created.</summary>
public sealed class MtlModelOptions
{
    public DevicePreference Device { get; set; } = DevicePreference.Auto;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime use one per physical core.</summary>
    public int IntraOpThreads { get; set; }
    /// <summary>
    /// ONNX Runtime's CPU memory arena (default on). Measured with the small architecture on 10 min of audio: with the arena
    /// 365 MB peak RSS and 3.3 s model time, without it 420 MB and 5.8 s (glibc's per-thread heaps keep the freed buffers).
    /// </summary>
    public bool CpuMemoryArena { get; set; } = true;
    /// <summary>
    /// Character LM for the word beam search: null (default) loads <c>&lt;model&gt;.charlm</c> next to the model when it exists;
    /// <c>"off"</c> loads none; anything else is a path that must exist.
    /// </summary>
    public string? LanguageModelPath { get; set; }
    /// <summary>
    /// Word LM (with the decoder's lexicon) for lexicon-constrained decoding: null (default) loads <c>&lt;model&gt;.wordlm</c> next
    /// to the model when it exists; <c>"off"</c> loads none; anything else is a path that must exist.
    /// </summary>
    public string? WordLanguageModelPath { get; set; }

    public static MtlModelOptions From(AnalysisOptions options) => new() { Device = options.Device, IntraOpThreads = options.IntraOpThreads };
}

/// <summary>
/// Loads the model once (Whisper.net style: a factory owns the expensive model, cheap analyzers are created from it).
/// Keep one factory per process and share it: every analyzer it creates runs on the same <see cref="InferenceSession"/>.
/// </summary>
/// <remarks>
/// Device selection: <see cref="DevicePreference.Cpu"/> never touches CUDA. <see cref="DevicePreference.Auto"/> and
/// <see cref="DevicePreference.Cuda"/> first probe for the CUDA libraries the provider needs (<see cref="CudaLibraries"/>);
/// without them CUDA is not attempted (for Auto the normal CPU-machine case: one info line <c>device: cpu (CUDA libraries not
/// found)</c>). With them the CUDA execution provider is tried; when it still fails the session falls back to CPU with a
/// warning. An explicit Cuda request that cannot be met is logged at error level but still runs on CPU, so a batch is never
/// lost to a missing driver. Either way the device that
/// really ran is reported in <see cref="MtlModel.Device"/> and therefore in result.processing.device.
/// </remarks>
public sealed class MtlModelFactory : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private readonly Ctc.WordDecoderResources _wordDecoding;

    private MtlModelFactory(MtlModel model, Ctc.CharNgramLm? languageModel, Ctc.WordNgramLm? wordLanguageModel, ILoggerFactory loggerFactory)
    {
        Model = model;
        LanguageModel = languageModel;
        WordLanguageModel = wordLanguageModel;
        _loggerFactory = loggerFactory;
        _wordDecoding = new Ctc.WordDecoderResources(languageModel, wordLanguageModel, loggerFactory.CreateLogger<Ctc.WordDecoderResources>());
    }

    internal MtlModel Model { get; }

    /// <summary>The character LM loaded with the model (see <see cref="MtlModelOptions.LanguageModelPath"/>), or null.</summary>
    internal Ctc.CharNgramLm? LanguageModel { get; }

    /// <summary>The word LM loaded with the model (see <see cref="MtlModelOptions.WordLanguageModelPath"/>), or null.</summary>
    internal Ctc.WordNgramLm? WordLanguageModel { get; }

    /// <summary>
    /// The language scores the word beam search fuses for these settings: lexicon + word LM (+ character LM for unknown words)
    /// when a word LM is loaded and weighted or a custom vocabulary is given, else the character LM alone, else none.
    /// Lexicons are built once per vocabulary and shared.
    /// </summary>
    internal Ctc.ICtcPrefixScorer? CreateScorer(TranscriptionOptions options) => _wordDecoding.CreateScorer(Model.Description.Chars, options);

    public static MtlModelFactory FromPath(string modelPath, MtlModelOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options ??= new MtlModelOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<MtlModelFactory>();
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        var languageModel = LoadLanguageModel(modelPath, options.LanguageModelPath, logger);
        var wordLanguageModel = LoadWordLanguageModel(modelPath, options.WordLanguageModelPath, logger);

        InferenceSession? session = null;
        string device = "cpu", reason = "requested";
        if (options.Device != DevicePreference.Cpu)
        {
            var missing = CudaLibraries.FindMissing();
            if (missing.Count > 0)
            {
                // The normal case on a machine without a GPU: no provider attempt, so no native error text.
                reason = "CUDA libraries not found";
                logger.LogDebug("CUDA libraries the dynamic loader cannot find: {MissingLibraries}", string.Join(", ", missing));
                if (options.Device == DevicePreference.Cuda)
                    logger.LogError("CUDA was requested but its libraries are not installed ({MissingLibraries}); falling back to CPU",
                        string.Join(", ", missing));
            }
            else
            {
                try
                {
                    using var cudaOptions = CreateOptions(options);
                    cudaOptions.AppendExecutionProvider_CUDA(0);
                    session = new InferenceSession(modelPath, cudaOptions);
                    device = "cuda";
                    reason = options.Device == DevicePreference.Cuda ? "requested" : "auto: CUDA available";
                }
                catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    // The libraries are there but the provider still failed (no device, driver mismatch): worth a warning.
                    reason = "CUDA unavailable: " + FirstLine(ex.Message);
                    if (options.Device == DevicePreference.Cuda)
                        logger.LogError("CUDA was requested but cannot be used ({Reason}); falling back to CPU", reason);
                    else
                        logger.LogWarning("CUDA is not available ({Reason}); running on CPU", reason);
                }
            }
        }

        if (session is null)
        {
            using var cpuOptions = CreateOptions(options);
            session = new InferenceSession(modelPath, cpuOptions);
        }

        try
        {
            var description = MtlModel.Describe(session, modelPath);
            logger.LogInformation("Loaded model {ModelName} {ModelVersion} ({ModelSha}) from {ModelPath}, intra-op threads {Threads}",
                description.Name, description.Version, description.Sha256[..12], modelPath, options.IntraOpThreads);
            logger.LogInformation("device: {Device} ({DeviceReason})", device, reason);
            return new MtlModelFactory(new MtlModel(session, description, device, reason), languageModel, wordLanguageModel, loggerFactory);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Chunks per ONNX Runtime call when the caller did not choose (<paramref name="requested"/> &lt;= 0): 1 on CPU — measured
    /// on the small architecture, 10 min of audio, 2 cores: batch 1/2/4 gave the same model time (3.9/4.3/3.9 s, noisy) but
    /// 205/281/373 MB peak RSS — and 4 on CUDA, where batching fills the GPU.
    /// </summary>
    internal int BatchSizeFor(int requested) => requested > 0 ? requested : Model.Device == "cuda" ? 4 : 1;

    /// <summary>Call-time settings for a <see cref="Processing.SpeechProcessor"/> over this model (the library's front door).</summary>
    public Processing.SpeechProcessorBuilder CreateBuilder() => new(this, _loggerFactory);

    /// <summary>A new analyzer over the shared model. Analyzers are cheap and may run concurrently.</summary>
    internal SpeechAnalyzer CreateAnalyzer(PostProcessingOptions? postProcessing = null) =>
        CreateAnalyzerCore(postProcessing ?? new PostProcessingOptions());

    /// <summary>
    /// An analyzer with this model's language models over another network with the same outputs — for the benchmark's
    /// decoder-alone pass, which replays recorded outputs (<see cref="Benchmarks.ReplayChunkModel"/>).
    /// </summary>
    internal SpeechAnalyzer CreateAnalyzer(IChunkModel network, PostProcessingOptions? postProcessing = null) =>
        CreateAnalyzerCore(postProcessing ?? new PostProcessingOptions(), network);

    private SpeechAnalyzer CreateAnalyzerCore(PostProcessingOptions postProcessing, IChunkModel? network = null)
    {
        postProcessing.Transcription.Validate();
        postProcessing.Diarization.Validate();
        return new(network ?? Model, postProcessing, _loggerFactory.CreateLogger<SpeechAnalyzer>(), CreateScorer(postProcessing.Transcription));
    }

    private static Ctc.WordNgramLm? LoadWordLanguageModel(string modelPath, string? configured, ILogger logger)
    {
        if (ResolveLmPath(configured, Ctc.WordNgramLm.SiblingPath(modelPath), "Word LM", "decoding without lexicon", logger) is not { } path) return null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lm = Ctc.WordNgramLm.Load(path);
        logger.LogInformation("Loaded word LM {WordLmPath} in {Seconds:F2} s: order {Order}, {Words} words, n-grams {Ngrams}, {ExtraWords} more lexicon words ({Description})",
            path, clock.Elapsed.TotalSeconds, lm.Order, lm.VocabularySize, string.Join("/", lm.NgramCounts), lm.ExtraLexiconWords.Count, lm.Description);
        return lm;
    }

    private static Ctc.CharNgramLm? LoadLanguageModel(string modelPath, string? configured, ILogger logger)
    {
        if (ResolveLmPath(configured, Ctc.CharNgramLm.SiblingPath(modelPath), "Character LM", "decoding without LM", logger) is not { } path) return null;
        var lm = Ctc.CharNgramLm.Load(path);
        logger.LogInformation("Loaded character LM {LmPath}: order {Order}, {Contexts} contexts, {Ngrams} n-grams ({Description})",
            path, lm.Order, lm.ContextCount, lm.NgramCount, lm.Description);
        return lm;
    }

    /// <summary>"off" = none; null = the sibling file when it exists; anything else must exist.</summary>
    private static string? ResolveLmPath(string? configured, string sibling, string kind, string without, ILogger logger)
    {
        if (string.Equals(configured, "off", StringComparison.OrdinalIgnoreCase))
        {
            logger.LogInformation("{LmKind} switched off", kind);
            return null;
        }
        var path = configured ?? sibling;
        if (configured is null && !File.Exists(path))
        {
            logger.LogInformation("No {LmKind} at {LmPath}: {Without}", kind, path, without);
            return null;
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{kind} not found: {path}", path);
        return path;
    }

    private static SessionOptions CreateOptions(MtlModelOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableCpuMemArena = options.CpuMemoryArena,
        };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        return so;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] : line;
    }

    public void Dispose() => Model.Dispose();
}
