namespace MtlBatch.Inference.Tests;

/// <summary>
/// A model-free <see cref="IChunkModel"/>: the test audio encodes each sample's 40 ms frame index in its value, so the
/// "model" knows where in the recording every chunk frame is and returns scripted posteriors for that place. Frames near a
/// chunk edge that has no acoustic context get garbage letters, as a real model would produce errors there: only a stitcher
/// that keeps chunk centres returns a clean transcript.
/// </summary>
/// <param name="overlapScript">When set, the model has the optional overlap output: true = two voices at that frame.</param>
internal sealed class ScriptedModel(int[] charScript, Func<long, (int Speaker, bool Speech, int Emotion)> frameScript, long totalFrames,
    double edgeGarbageSeconds = 0.3, Func<long, bool>? overlapScript = null) : IChunkModel
{
    public static readonly float[][] Voices = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];
    private int _calls;

    public ModelDescription Description { get; } = new()
    {
        Name = "scripted", Version = "0", Sha256 = new string('0', 64), SampleRate = 16000, FrameShift = 0.04, CtcFrameShift = 0.02,
        Chars = Synthetic.Chars, Phonemes = ["<blank>", "p"], Emotions = ["neutral", "happy", "sad", "angry"], SpeakerDim = 4,
        HasOverlap = overlapScript is not null,
    };

    public string Device => "cpu";
    public int Calls => _calls;

    /// <summary>Audio whose sample i carries frame index i / 640.</summary>
    public static float[] Audio(long samples)
    {
        var audio = new float[samples];
        for (long i = 0; i < samples; i++) audio[i] = Encode(i / 640);
        return audio;
    }

    private static float Encode(long frame) => (frame + 1) * 1e-5f;
    private static long Decode(float value) => (long)Math.Round(value / 1e-5f) - 1;

    public IReadOnlyList<ChunkFrames> Run(ReadOnlyMemory<float> audio, int batchSize, int samplesPerChunk, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var result = new List<ChunkFrames>();
        var vocab = Synthetic.Chars.Length;
        var frames = (1 + samplesPerChunk / 160 + 3) / 4; // the exported model's T = ceil(F / 4), F = 1 + N // 160
        var edge = (int)Math.Round(edgeGarbageSeconds / 0.04);
        for (var b = 0; b < batchSize; b++)
        {
            var chunk = audio.Span.Slice(b * samplesPerChunk, samplesPerChunk);
            var first = Decode(chunk[0]);
            var chars = new float[frames * 2 * vocab];
            var phones = new float[frames * 2 * 2];
            var speaker = new float[frames * 4];
            var emotion = new float[frames * 4];
            var vad = new float[frames];
            var overlap = overlapScript is null ? null : new float[frames];
            for (var j = 0; j < frames; j++)
            {
                var sample = j * 640;
                var real = sample < samplesPerChunk && chunk[sample] != 0;
                if (real && Decode(chunk[sample]) != first + j) throw new InvalidOperationException("Chunk samples are not contiguous.");
                var global = first + j;
                var lastReal = Math.Min(frames, (samplesPerChunk - 1) / 640 + 1);
                var noContext = (first > 0 && j < edge) || (first + lastReal < totalFrames && j >= lastReal - edge);
                for (var h = 0; h < 2; h++)
                {
                    var ctc = 2 * j + h;
                    var token = !real ? 0 : noContext ? (ctc % 3 == 0 ? Synthetic.Token('q') : 0) : charScript[Math.Min(2 * global + h, charScript.Length - 1)];
                    Synthetic.Row(chars.AsSpan(ctc * vocab, vocab), token);
                    Synthetic.Row(phones.AsSpan(ctc * 2, 2), token == 0 || token == Synthetic.Space ? 0 : 1);
                }
                var (who, speech, mood) = real ? frameScript(global) : (0, false, 0);
                Voices[who].CopyTo(speaker.AsSpan(j * 4, 4));
                emotion[j * 4 + mood] = 3;
                vad[j] = speech ? 4 : -4;
                if (overlap is not null) overlap[j] = real && overlapScript!(global) ? 4 : -4;
            }
            result.Add(new ChunkFrames
            {
                CtcFrames = 2 * frames, CharVocab = vocab, PhoneVocab = 2, Frames = frames, SpeakerDim = 4, EmotionCount = 4,
                CharLogProbs = chars, PhoneLogProbs = phones, SpeakerFrames = speaker, EmotionLogits = emotion, VadLogits = vad,
                OverlapLogits = overlap,
            });
        }
        return result;
    }
}
