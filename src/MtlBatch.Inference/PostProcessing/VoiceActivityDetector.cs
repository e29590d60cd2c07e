namespace MtlBatch.Inference.PostProcessing;

/// <summary>A half-open range of frames [Start, End).</summary>
internal readonly record struct FrameRange(int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>Voice-activity segments from per-frame speech probabilities (sigmoid of the vad head).</summary>
internal static class VoiceActivityDetector
{
    public static float Sigmoid(float logit) => 1f / (1f + MathF.Exp(-logit));

    public static IReadOnlyList<FrameRange> Detect(IReadOnlyList<float> speechProbability, double frameShift, VadOptions options)
    {
        // 1. Hysteresis: enter speech at Onset, leave it below Offset.
        var raw = new List<FrameRange>();
        var inSpeech = false; var start = 0;
        for (var i = 0; i < speechProbability.Count; i++)
        {
            var p = speechProbability[i];
            if (!inSpeech && p >= options.Onset) { inSpeech = true; start = i; }
            else if (inSpeech && p < options.Offset) { inSpeech = false; raw.Add(new FrameRange(start, i)); }
        }
        if (inSpeech) raw.Add(new FrameRange(start, speechProbability.Count));

        // 2. Bridge short pauses, 3. drop short bursts.
        var minSilence = (int)Math.Round(options.MinSilenceSeconds / frameShift);
        var minSpeech = (int)Math.Round(options.MinSpeechSeconds / frameShift);
        var merged = new List<FrameRange>();
        foreach (var r in raw)
        {
            if (merged.Count > 0 && r.Start - merged[^1].End < minSilence) merged[^1] = merged[^1] with { End = r.End };
            else merged.Add(r);
        }
        merged.RemoveAll(r => r.Length < minSpeech);
        return merged;
    }
}
