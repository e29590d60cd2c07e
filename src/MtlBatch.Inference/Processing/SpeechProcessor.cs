using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Inference.Processing;

/// <summary>
/// The library's entry point, in the Whisper.net style: load the model once, build cheap processors from it, analyse.
/// <code>
/// using var model = SpeechModel.FromPath("models/mtl-small.onnx", new MtlModelOptions { Device = DevicePreference.Auto });
/// var processor = model.CreateBuilder().WithSpeakers(1, 4).WithVocabulary("terms.txt").Build();
/// AnalysisResult result = await processor.AnalyzeAsync("call.mp3", cancellationToken);
/// await foreach (var word in processor.StreamWordsAsync("long-meeting.wav", cancellationToken)) Console.WriteLine(word.Text);
/// </code>
/// Load-time settings (device, threads, language-model files) are <see cref="MtlModelOptions"/>; call-time settings
/// (speakers, channels, beam, vocabulary, redaction) belong to the builder, are validated by <see cref="SpeechProcessorBuilder.Build"/>
/// and can differ per processor over one shared model.
/// </summary>
public static class SpeechModel
{
    /// <summary>Loads the ONNX model and its language models (see <see cref="MtlModelFactory.FromPath"/>).</summary>
    public static MtlModelFactory FromPath(string modelPath, MtlModelOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        MtlModelFactory.FromPath(modelPath, options, loggerFactory);
}

/// <summary>Call-time settings of a <see cref="SpeechProcessor"/>; start from <see cref="MtlModelFactory.CreateBuilder"/>.</summary>
public sealed class SpeechProcessorBuilder
{
    private readonly MtlModelFactory _factory;
    private readonly ILoggerFactory _loggerFactory;
    private readonly AnalysisOptions _analysis = new();
    private readonly PostProcessingOptions _post = new();
    private AudioDecoder? _decoder;

    internal SpeechProcessorBuilder(MtlModelFactory factory, ILoggerFactory loggerFactory)
    {
        _factory = factory;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Fewest and most speakers diarization may find (default 1-6).</summary>
    public SpeechProcessorBuilder WithSpeakers(int min, int max)
    {
        _analysis.MinSpeakers = min;
        _analysis.MaxSpeakers = max;
        return this;
    }

    /// <summary>One speaker per channel (agent and customer on separate channels); <paramref name="roles"/> name channel 1, 2, ...</summary>
    public SpeechProcessorBuilder WithSplitChannels(params string[] roles)
    {
        _analysis.Channels = ChannelMode.Split;
        _analysis.ChannelRoles = [.. roles];
        return this;
    }

    /// <summary>CTC beam width (1 = greedy; default 16).</summary>
    public SpeechProcessorBuilder WithBeamWidth(int beamWidth)
    {
        _analysis.BeamWidth = beamWidth;
        return this;
    }

    /// <summary>A custom vocabulary file (one word or phrase per line, optional boost), recognised with a bonus (docs/inference.md).</summary>
    public SpeechProcessorBuilder WithVocabulary(string path, double? defaultBoost = null)
    {
        _post.Transcription.VocabularyPath = path;
        if (defaultBoost is { } boost) _post.Transcription.VocabularyBoost = boost;
        return this;
    }

    /// <summary>Redaction of card and phone numbers, e-mail addresses, digits or phrases (docs/analytics.md#redaction).</summary>
    public SpeechProcessorBuilder WithRedaction(RedactionOptions redaction)
    {
        ArgumentNullException.ThrowIfNull(redaction);
        _analysis.Redaction = redaction.Copy();
        return this;
    }

    /// <summary>Any other post-processing setting (VAD, diarization, emotion, decoding weights), on this builder's copy.</summary>
    public SpeechProcessorBuilder WithPostProcessing(Action<PostProcessingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(_post);
        return this;
    }

    /// <summary>The decoder that reads files (default: ffmpeg from PATH with the default input limits).</summary>
    public SpeechProcessorBuilder WithAudioDecoder(AudioDecoder decoder)
    {
        _decoder = decoder;
        return this;
    }

    /// <summary>Validates the settings (throws <see cref="ArgumentException"/> naming the bad one) and builds the processor.</summary>
    public SpeechProcessor Build()
    {
        var analysis = _analysis.Copy();
        analysis.Validate();
        if (analysis.ChannelRoles.Count > 0 && analysis.Channels != ChannelMode.Split)
            throw new ArgumentException("Channel roles need split channels.", nameof(AnalysisOptions.ChannelRoles));
        if (_post.Transcription.VocabularyPath is { } vocabulary && !File.Exists(vocabulary))
            throw new FileNotFoundException($"Vocabulary file not found: {vocabulary}", vocabulary);
        var analyzer = _factory.CreateAnalyzer(_post); // validates the transcription settings and builds the vocabulary's lexicon
        var decoder = _decoder ?? new AudioDecoder(new AudioDecoderOptions(), new InputLimits(), _loggerFactory.CreateLogger<AudioDecoder>());
        return new SpeechProcessor(analyzer, decoder, analysis, _loggerFactory.CreateLogger<RecordingProcessor>());
    }
}

/// <summary>
/// Analyses recordings with one set of call-time settings over a shared model. Thread-safe: calls may run concurrently.
/// Files go through the same path as <c>mtlbatch analyze</c> (probe, decode with ffmpeg, mixed or per-channel analysis).
/// </summary>
public sealed class SpeechProcessor
{
    private readonly SpeechAnalyzer _analyzer;
    private readonly RecordingProcessor _processor;
    private readonly AudioDecoder _decoder;
    private readonly AnalysisOptions _options;

    internal SpeechProcessor(SpeechAnalyzer analyzer, AudioDecoder decoder, AnalysisOptions options, ILogger<RecordingProcessor>? logger)
    {
        _analyzer = analyzer;
        _processor = new RecordingProcessor(analyzer, logger);
        _decoder = decoder;
        _options = options;
    }

    public ModelInfo Model => _analyzer.Model;

    /// <summary>The execution provider that runs the model: "cpu" or "cuda".</summary>
    public string Device => _analyzer.Device;

    /// <summary>Transcript, speaker turns, emotion timeline and analytics of an audio or video file ffmpeg can read.</summary>
    /// <exception cref="MtlBatchException">The file cannot be analysed (its <see cref="MtlBatchException.Code"/> says why).</exception>
    public async Task<AnalysisResult> AnalyzeAsync(string path, CancellationToken cancellationToken, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var audio = await RecordingAudio.OpenFileAsync(_decoder, path, Path.GetFileName(path), cancellationToken).ConfigureAwait(false);
        return await _processor.AnalyzeAsync(audio, _options, progress, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same for 16 kHz mono samples from elsewhere (a stream, a socket); <paramref name="recording"/> names and describes them.</summary>
    public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, CancellationToken cancellationToken,
        IProgress<double>? progress = null) =>
        _analyzer.AnalyzeAsync(samples, recording, _options, progress, cancellationToken);

    /// <summary>
    /// Words as soon as each is final, long before a long file ends (memory stays flat). Speakers, turns and emotions need the
    /// whole recording: use <see cref="AnalyzeAsync(string, CancellationToken, IProgress{double}?)"/> for them. Words are not
    /// redacted here.
    /// </summary>
    public async IAsyncEnumerable<SegmentPartial> StreamWordsAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var media = await _decoder.ProbeAsync(path, cancellationToken).ConfigureAwait(false);
        var recording = media.ToRecordingInfo(Path.GetFileName(path), "");
        await foreach (var word in _analyzer.ProcessAsync(_decoder.DecodeAsync(media, null, cancellationToken), recording, _options, cancellationToken)
                           .ConfigureAwait(false))
            yield return word;
    }
}
