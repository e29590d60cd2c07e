using System.Diagnostics;
using MtlBatch.Core;
using MtlBatch.Inference.Ctc;
using MtlBatch.Inference.PostProcessing;

namespace MtlBatch.Inference.Streaming;

/// <summary>
/// Everything one pass over one audio stream keeps: committed words and phonemes, and compact per-frame data at the
/// 40 ms frame rate (speech probability, emotion probabilities) plus pooled speaker windows. The CTC posteriors themselves
/// are consumed region by region and dropped, so memory grows only by a few floats per 40 ms.
/// </summary>
internal sealed class RecordingPass
{
    private readonly ModelDescription _model;
    private readonly PostProcessingOptions _post;
    private readonly StageTimings? _timings;
    private readonly StreamingWordDecoder _words;
    private readonly StreamingGreedyDecoder _phonemeDecoder;
    private readonly List<DecodedLabel> _phonemes = [];
    private readonly List<float> _speech = [];
    private readonly List<float> _emotions = [];
    private readonly List<float> _overlap = [];
    private SpeakerWindowPooler? _pooler;
    private float[] _emotionRow = [];
    private long _frames;

    public RecordingPass(ModelDescription model, ChunkGeometry geometry, AnalysisOptions options, PostProcessingOptions post, StageTimings? timings,
        Action<DecodedWord>? onWord = null, ICtcPrefixScorer? languageModel = null)
    {
        _model = model;
        _post = post;
        _timings = timings;
        var ctcShift = (double)geometry.CtcFrameSamples / geometry.SampleRate;
        _words = new StreamingWordDecoder(model.Chars, ctcShift, options.BeamWidth, post.Transcription, onWord, languageModel);
        _phonemeDecoder = new StreamingGreedyDecoder(model.Phonemes.Count, _phonemes.Add);
        CtcFrameShift = ctcShift;
        Stitcher = new ChunkStitcher(geometry, CtcPrefixBeamSearch.Blank, IndexOf(model.Chars, " "), OnRegion);
    }

    public ChunkStitcher Stitcher { get; }
    public IReadOnlyList<DecodedWord> Words => _words.Words;
    /// <summary>Phoneme runs in CTC frames (<see cref="CtcFrameShift"/>).</summary>
    public IReadOnlyList<DecodedLabel> Phonemes => _phonemes;
    public double CtcFrameShift { get; }
    /// <summary>Per 40 ms frame: sigmoid of the vad logit.</summary>
    public IReadOnlyList<float> SpeechProbability => _speech;
    /// <summary>Row-major [frames, emotions]: softmax of the emotion logits.</summary>
    public IReadOnlyList<float> EmotionProbabilities => _emotions;
    /// <summary>Per 40 ms frame: probability that two or more people speak (sigmoid of the overlap logit); empty when the model has no overlap output.</summary>
    public IReadOnlyList<float> OverlapProbability => _overlap;
    public IReadOnlyList<SpeakerWindow> SpeakerWindows => (IReadOnlyList<SpeakerWindow>?)_pooler?.Windows ?? [];
    public int FrameCount => (int)_frames;
    public bool Completed { get; private set; }

    private void OnRegion(StitchedRegion region)
    {
        if (region.GlobalFrameStart != _frames)
            throw new InvalidOperationException($"Stitched region starts at frame {region.GlobalFrameStart}, expected {_frames}.");
        var source = region.Source;
        if (source.CharVocab != _model.Chars.Count || source.PhoneVocab != _model.Phonemes.Count || source.EmotionCount != _model.Emotions.Count)
            throw new InvalidDataException("Model outputs do not match the vocabularies in its metadata.");

        var started = Stopwatch.GetTimestamp();
        _words.Push(region.CharLogProbs, region.CtcFrames, region.IsLast);
        _phonemeDecoder.Push(region.PhoneLogProbs, region.CtcFrames);
        if (region.IsLast) _phonemeDecoder.Complete();
        _timings?.AddCtc(StageTimings.Since(started));

        started = Stopwatch.GetTimestamp();
        _pooler ??= new SpeakerWindowPooler(source.SpeakerDim, _model.FrameShift, _post.Diarization, _post.Vad.Onset);
        if (_emotionRow.Length != source.EmotionCount) _emotionRow = new float[source.EmotionCount];
        for (var f = region.FrameStart; f < region.FrameEnd; f++)
        {
            var p = VoiceActivityDetector.Sigmoid(source.VadLogits[f]);
            _speech.Add(p);
            EmotionTimelineBuilder.Softmax(source.EmotionRow(f), _emotionRow);
            _emotions.AddRange(_emotionRow);
            _pooler.Add(source.SpeakerRow(f), p);
            if (source.OverlapLogits is { } overlap) _overlap.Add(VoiceActivityDetector.Sigmoid(overlap[f]));
        }
        _frames += region.Frames;
        if (region.IsLast)
        {
            _pooler.Complete();
            Completed = true;
        }
        _timings?.AddPost(StageTimings.Since(started));
    }

    internal static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
