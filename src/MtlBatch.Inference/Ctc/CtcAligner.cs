namespace MtlBatch.Inference.Ctc;

/// <summary>One decoded label with the frames it occupies on the best alignment.</summary>
/// <param name="Peak">Highest posterior of the label over its frames (0..1).</param>
internal readonly record struct AlignedToken(int Token, int FirstFrame, int LastFrame, double Peak);

/// <summary>
/// Viterbi forced alignment of a known label sequence to CTC log-probabilities: gives each label the frames where the
/// most probable path emits it. Decoding (what was said) and alignment (when) are kept apart so the beam search
/// can merge prefixes freely without carrying timestamps.
/// </summary>
internal static class CtcAligner
{
    public static AlignedToken[] Align(ReadOnlySpan<float> logProbs, int frames, int vocab, IReadOnlyList<int> tokens)
    {
        var n = tokens.Count;
        if (n == 0) return [];
        var states = 2 * n + 1; // blank, y1, blank, y2, ..., yn, blank
        // Per state: its label and whether it may be entered from two states back (a label differing from the previous label).
        var label = new int[states];
        var skip = new bool[states];
        for (var s = 1; s < states; s += 2)
        {
            label[s] = tokens[s >> 1];
            skip[s] = s >= 3 && tokens[s >> 1] != tokens[(s >> 1) - 1];
        }
        var prev = new double[states];
        var cur = new double[states];
        var back = new byte[frames * states]; // 0 = stay, 1 = from s-1, 2 = from s-2
        Array.Fill(prev, double.NegativeInfinity);
        prev[0] = logProbs[CtcPrefixBeamSearch.Blank];
        if (states > 1) prev[1] = logProbs[label[1]];

        for (var t = 1; t < frames; t++)
        {
            var row = logProbs.Slice(t * vocab, vocab);
            var backRow = back.AsSpan(t * states, states);
            // Only a band of states matters at frame t: at most two states are passed per frame, so a state beyond 2t+1 cannot
            // be reached yet and one more than 2(frames-t) before the end cannot finish in time. Outside the band stays -inf.
            var reachable = Math.Min(states, 2 * t + 2);
            var finishable = Math.Max(0, states - 2 * (frames - t));
            for (var s = 0; s < finishable; s++) cur[s] = double.NegativeInfinity;
            for (var s = finishable; s < reachable; s++)
            {
                double best = prev[s]; byte from = 0;
                if (s >= 1 && prev[s - 1] > best) { best = prev[s - 1]; from = 1; }
                if (skip[s] && prev[s - 2] > best) { best = prev[s - 2]; from = 2; }
                cur[s] = best + row[label[s]];
                backRow[s] = from;
            }
            for (var s = reachable; s < states; s++) cur[s] = double.NegativeInfinity;
            (prev, cur) = (cur, prev);
        }

        var state = states == 1 || prev[states - 1] >= prev[states - 2] ? states - 1 : states - 2;
        if (double.IsNegativeInfinity(prev[state]))
            throw new InvalidOperationException($"{n} labels cannot be aligned to {frames} frames.");

        var first = new int[n]; var last = new int[n]; var peak = new double[n];
        Array.Fill(last, -1);
        for (var t = frames - 1; t >= 0; t--)
        {
            if ((state & 1) == 1)
            {
                var k = state >> 1;
                if (last[k] < 0) last[k] = t; // walking backwards: the first visit is the label's last frame
                first[k] = t;
                peak[k] = Math.Max(peak[k], Math.Exp(logProbs[t * vocab + tokens[k]]));
            }
            if (t > 0) state -= back[t * states + state];
        }

        var result = new AlignedToken[n];
        for (var k = 0; k < n; k++) result[k] = new AlignedToken(tokens[k], first[k], last[k], peak[k]);
        return result;
    }
}
