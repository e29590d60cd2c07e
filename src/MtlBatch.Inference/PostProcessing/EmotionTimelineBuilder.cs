using MtlBatch.Core;

namespace MtlBatch.Inference.PostProcessing;

/// <summary>
/// The emotion timeline: per-frame probabilities (softmax of the emotion head) are smoothed with a centred moving average,
/// segmented by their argmax inside each voice-activity segment (emotion of silence is meaningless), and segments shorter than
/// <see cref="EmotionOptions.MinSegmentSeconds"/> are merged into their longer neighbour. A segment's scores are the mean
/// unsmoothed probabilities over its frames; its label and confidence are the top score.
/// </summary>
internal sealed class EmotionTimelineBuilder(EmotionOptions options)
{
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        var max = float.NegativeInfinity;
        foreach (var x in logits) max = MathF.Max(max, x);
        float sum = 0;
        for (var i = 0; i < logits.Length; i++) sum += probabilities[i] = MathF.Exp(logits[i] - max);
        for (var i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }

    /// <param name="probabilities">Row-major [frames, labels.Count].</param>
    public IReadOnlyList<EmotionSegment> Build(IReadOnlyList<float> probabilities, IReadOnlyList<string> labels, IReadOnlyList<FrameRange> speech,
        Diarization? diarization, double frameShift)
    {
        var k = labels.Count;
        var frames = probabilities.Count / k;
        var half = Math.Max(0, (int)Math.Round(options.SmoothingSeconds / frameShift) / 2);
        var minFrames = Math.Max(1, (int)Math.Round(options.MinSegmentSeconds / frameShift));
        var segments = new List<EmotionSegment>();

        foreach (var range in speech)
        {
            var start = Math.Clamp(range.Start, 0, frames);
            var end = Math.Clamp(range.End, start, frames);
            if (end == start) continue;
            var runs = Runs(probabilities, k, start, end, half);
            MergeShortRuns(runs, minFrames);
            foreach (var (runStart, runEnd) in runs)
            {
                var segment = Describe(probabilities, labels, runStart, runEnd, frameShift, diarization);
                // Neighbours whose mean probabilities agree after merging become one segment.
                if (segments.Count > 0 && segments[^1].Label == segment.Label && Math.Abs(segments[^1].End - segment.Start) < frameShift / 2
                    && segments[^1].Speaker == segment.Speaker)
                {
                    var first = (int)Math.Round(segments[^1].Start / frameShift);
                    segments[^1] = Describe(probabilities, labels, first, runEnd, frameShift, diarization);
                }
                else segments.Add(segment);
            }
        }
        return segments;
    }

    /// <summary>Mean probabilities over frames [start, end): the dominant label and its mean probability.</summary>
    public static (string Label, double Confidence, double[] Scores) Dominant(IReadOnlyList<float> probabilities, IReadOnlyList<string> labels, int start, int end)
    {
        var k = labels.Count;
        var scores = new double[k];
        end = Math.Min(end, probabilities.Count / k);
        for (var f = start; f < end; f++)
            for (var c = 0; c < k; c++) scores[c] += probabilities[f * k + c];
        var n = Math.Max(1, end - start);
        for (var c = 0; c < k; c++) scores[c] /= n;
        var best = 0;
        for (var c = 1; c < k; c++) if (scores[c] > scores[best]) best = c;
        return (labels[best], scores[best], scores);
    }

    private static List<(int Start, int End)> Runs(IReadOnlyList<float> p, int k, int start, int end, int half)
    {
        // Prefix sums per label make the moving average O(frames * labels).
        var prefix = new double[(end - start + 1) * k];
        for (var f = start; f < end; f++)
            for (var c = 0; c < k; c++) prefix[(f - start + 1) * k + c] = prefix[(f - start) * k + c] + p[f * k + c];

        var runs = new List<(int Start, int End)>();
        var current = -1; var runStart = start;
        for (var f = start; f < end; f++)
        {
            var lo = Math.Max(start, f - half) - start;
            var hi = Math.Min(end, f + half + 1) - start;
            var best = 0; double bestValue = double.NegativeInfinity;
            for (var c = 0; c < k; c++)
            {
                var v = prefix[hi * k + c] - prefix[lo * k + c];
                if (v > bestValue) { bestValue = v; best = c; }
            }
            if (best != current)
            {
                if (current >= 0) runs.Add((runStart, f));
                current = best; runStart = f;
            }
        }
        runs.Add((runStart, end));
        return runs;
    }

    private static void MergeShortRuns(List<(int Start, int End)> runs, int minFrames)
    {
        while (runs.Count > 1)
        {
            var shortest = -1;
            for (var i = 0; i < runs.Count; i++)
            {
                var length = runs[i].End - runs[i].Start;
                if (length < minFrames && (shortest < 0 || length < runs[shortest].End - runs[shortest].Start)) shortest = i;
            }
            if (shortest < 0) return;
            var left = shortest - 1; var right = shortest + 1;
            var into = right >= runs.Count || left >= 0 && runs[left].End - runs[left].Start >= runs[right].End - runs[right].Start ? left : right;
            var merged = (Math.Min(runs[into].Start, runs[shortest].Start), Math.Max(runs[into].End, runs[shortest].End));
            runs[into] = merged;
            runs.RemoveAt(shortest);
        }
    }

    private static EmotionSegment Describe(IReadOnlyList<float> p, IReadOnlyList<string> labels, int start, int end, double frameShift, Diarization? diarization)
    {
        var (label, confidence, scores) = Dominant(p, labels, start, end);
        return new EmotionSegment
        {
            Start = start * frameShift,
            End = end * frameShift,
            Label = label,
            Confidence = Math.Round(confidence, 4),
            Scores = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => Math.Round(scores[x.i], 4)),
            Speaker = MajoritySpeaker(diarization, start, end),
        };
    }

    private static string? MajoritySpeaker(Diarization? diarization, int start, int end)
    {
        if (diarization is null || diarization.SpeakerNames.Count == 0) return null;
        var counts = new int[diarization.SpeakerNames.Count];
        for (var f = start; f < Math.Min(end, diarization.FrameSpeaker.Length); f++)
            if (diarization.FrameSpeaker[f] >= 0) counts[diarization.FrameSpeaker[f]]++;
        var best = 0;
        for (var i = 1; i < counts.Length; i++) if (counts[i] > counts[best]) best = i;
        return counts[best] > 0 ? diarization.SpeakerNames[best] : null;
    }
}
