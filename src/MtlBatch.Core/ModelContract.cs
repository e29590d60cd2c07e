namespace MtlBatch.Core;

/// <summary>
/// The ONNX contract between the trainer (models/training) and the C# inference code.
/// Input: <see cref="AudioInput"/> float32 [batch, samples], 16 kHz mono in [-1, 1].
/// Outputs: CTC heads at <see cref="MetadataKeys.CtcFrameShift"/>, the others at <see cref="MetadataKeys.FrameShift"/>.
/// </summary>
public static class ModelContract
{
    public const string AudioInput = "audio";
    /// <summary>[B, Tc, Vc] log-probabilities; index 0 is the CTC blank.</summary>
    public const string CharLogProbs = "char_logprobs";
    /// <summary>[B, Tc, Vp] log-probabilities; index 0 is the CTC blank.</summary>
    public const string PhoneLogProbs = "phone_logprobs";
    /// <summary>[B, T, E] per-frame speaker projections; the L2-normalised time-mean over a window is that window's embedding.</summary>
    public const string SpeakerFrames = "speaker_frames";
    /// <summary>[B, T, K] per-frame emotion logits.</summary>
    public const string EmotionLogits = "emotion_logits";
    /// <summary>[B, T] per-frame voice-activity logits.</summary>
    public const string VadLogits = "vad_logits";
    /// <summary>
    /// Optional [B, T] per-frame logits that two or more people speak at once (a head added by
    /// models/training/train_overlap.py). A model without it is diarized one speaker per instant.
    /// </summary>
    public const string OverlapLogits = "overlap_logits";

    public static class MetadataKeys
    {
        public const string Name = "mtl.name";
        public const string Version = "mtl.version";
        public const string SampleRate = "mtl.sample_rate";
        /// <summary>Seconds per frame of speaker/emotion/vad outputs (0.04).</summary>
        public const string FrameShift = "mtl.frame_shift";
        /// <summary>Seconds per frame of the CTC outputs (0.02).</summary>
        public const string CtcFrameShift = "mtl.ctc_frame_shift";
        /// <summary>JSON array; index 0 is "&lt;blank&gt;", then characters (space is " ").</summary>
        public const string Chars = "mtl.chars";
        /// <summary>JSON array; index 0 is "&lt;blank&gt;", then phoneme symbols.</summary>
        public const string Phonemes = "mtl.phonemes";
        /// <summary>JSON array of emotion labels in logit order.</summary>
        public const string Emotions = "mtl.emotions";
        public const string SpeakerEmbeddingDim = "mtl.speaker_dim";
        public const string Tasks = "mtl.tasks";
        /// <summary>Short plain-text card: what the model was trained on.</summary>
        public const string TrainingCard = "mtl.training_card";
    }
}
