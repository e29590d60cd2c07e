namespace MtlBatch.Inference.Ctc;

/// <summary>
/// CTC prefix beam search (Hannun et al. 2014) over log-probabilities [frames, vocab] with blank at index 0,
/// optionally with language scores by shallow fusion: a character LM (<see cref="CtcLmFusion"/>) or the lexicon and word LM
/// (<see cref="LexiconWordScorer"/>). Returns the most probable label
/// sequence; <see cref="CtcAligner"/> gives its frames. A beam width of 1 is plain greedy (best-path) decoding, without the LM.
/// </summary>
internal sealed class CtcPrefixBeamSearch(int beamWidth, double pruneLogRatio = 9.2, ICtcPrefixScorer? lm = null)
{
    public const int Blank = 0;

    public int BeamWidth { get; } = beamWidth >= 1 ? beamWidth : throw new ArgumentOutOfRangeException(nameof(beamWidth));

    public ICtcPrefixScorer? LanguageModel { get; } = lm;

    /// <param name="precedingText">Transcript already committed before these frames: the LM's context (null = start of a sentence).</param>
    /// <param name="trace">When given (and the beam is wider than 1), records the beam of every frame so that
    /// <see cref="BeamTrace.WordPosterior"/> can weigh the decoded words against their competitors.</param>
    public int[] Decode(ReadOnlySpan<float> logProbs, int frames, int vocab, string? precedingText = null, BeamTrace? trace = null)
    {
        if (logProbs.Length < frames * vocab) throw new ArgumentException("logProbs is shorter than frames x vocab.", nameof(logProbs));
        trace?.Clear();
        return BeamWidth == 1 ? Greedy(logProbs, frames, vocab) : Beam(logProbs, frames, vocab, precedingText, trace);
    }

    /// <summary>Best path: argmax per frame, merge repeats, drop blanks.</summary>
    public static int[] Greedy(ReadOnlySpan<float> logProbs, int frames, int vocab)
    {
        var result = new List<int>();
        var previous = Blank;
        for (var t = 0; t < frames; t++)
        {
            var best = ArgMax(logProbs.Slice(t * vocab, vocab));
            if (best != Blank && best != previous) result.Add(best);
            previous = best;
        }
        return [.. result];
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    internal sealed class Prefix(Prefix? parent, int token, PrefixState lmState, double lmScore)
    {
        public Prefix? Parent { get; } = parent;
        public int Token { get; } = token;
        /// <summary>Number of labels in the prefix (0 for the root).</summary>
        public int Depth { get; } = parent is null ? 0 : parent.Depth + 1;
        /// <summary>LM context after this prefix (default without an LM).</summary>
        public PrefixState LmState { get; } = lmState;
        /// <summary>Fused LM score of the last label, added on every path that enters this prefix (0 without an LM).</summary>
        public double LmScore { get; } = lmScore;
        // Children as a sibling list: a prefix has few (at most the labels ever extended from it), and a short pointer walk
        // beats hashing there.
        private Prefix? _firstChild;
        private Prefix? _nextSibling;

        // The prefix's score at the frame being built (valid when Stamp is that frame): the search accumulates the frame's
        // paths on the node itself instead of in a dictionary keyed by node.
        internal int Stamp = -1;
        internal Score Next;

        // Prefixes are canonical trie nodes: the same label sequence is always the same object, so merging is by reference,
        // and the node is also the cache of its LM score: each extension is scored once per decode.
        public Prefix Child(int token, ICtcPrefixScorer? lm)
        {
            for (var c = _firstChild; c is not null; c = c._nextSibling) if (c.Token == token) return c;
            PrefixState state = default; double score = 0;
            if (lm is not null) score = lm.Extend(LmState, token, out state);
            return _firstChild = new Prefix(this, token, state, score) { _nextSibling = _firstChild };
        }
    }

    /// <summary>A beam entry with its total computed once (sorting compares totals many times; each is a log-add).</summary>
    internal readonly record struct Entry(Prefix Prefix, Score Score, double Total)
    {
        public Entry(Prefix prefix, Score score) : this(prefix, score, score.Total) { }
    }

    /// <summary>Descending by total, for the blank-only frames: the list was sorted one frame ago and moves little, which insertion sort handles in ~n steps.</summary>
    private static void SortByTotal(List<Entry> beams)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(beams);
        for (var i = 1; i < span.Length; i++)
        {
            var x = span[i];
            var j = i - 1;
            while (j >= 0 && span[j].Total < x.Total) { span[j + 1] = span[j]; j--; }
            span[j + 1] = x;
        }
    }

    internal struct Score
    {
        public double Blank;    // log P(prefix, path ends in blank)
        public double NonBlank; // log P(prefix, path ends in its last label)
        public readonly double Total => LogAdd(Blank, NonBlank);
    }

    private int[] Beam(ReadOnlySpan<float> logProbs, int frames, int vocab, string? precedingText, BeamTrace? trace)
    {
        var root = new Prefix(null, -1, LanguageModel?.InitialState(precedingText) ?? default, 0);
        var beams = new List<Entry> { new(root, new Score { Blank = 0, NonBlank = double.NegativeInfinity }) };
        var touched = new List<Prefix>(BeamWidth * 4); // the prefixes reached at the frame being built, in first-reached order
        var candidates = new List<int>(vocab);

        for (var t = 0; t < frames; t++)
        {
            var row = logProbs.Slice(t * vocab, vocab);
            SelectCandidates(row, candidates);
            if (candidates.Count == 0)
            {
                // Blank (or a repeat) only, the common case on trained posteriors: no prefix is created and none merge,
                // so every beam is updated in place, without the dictionary.
                for (var i = 0; i < beams.Count; i++)
                {
                    var (prefix, score, total) = beams[i];
                    beams[i] = new Entry(prefix, new Score
                    {
                        Blank = total + row[Blank],
                        NonBlank = prefix.Token >= 0 ? score.NonBlank + row[prefix.Token] : double.NegativeInfinity,
                    });
                }
                SortByTotal(beams);
                trace?.AddFrame(beams);
                continue;
            }
            touched.Clear();

            // Stay on each prefix first: emit blank, or repeat its last label (merged by CTC). With a full beam, the lowest of
            // these scores bounds the beam's cut from below (merging only raises them), and a prefix's only other path is its
            // parent's extension, so an extension to a new prefix that scores below it can never make the beam: skipped
            // without changing the result (and without creating the entry).
            var lowestStay = double.PositiveInfinity;
            foreach (var (prefix, score, total) in beams)
            {
                Touch(prefix, t, touched);
                prefix.Next.Blank = LogAdd(prefix.Next.Blank, total + row[Blank]);
                if (prefix.Token >= 0) prefix.Next.NonBlank = LogAdd(prefix.Next.NonBlank, score.NonBlank + row[prefix.Token]);
                lowestStay = Math.Min(lowestStay, prefix.Next.Total); // beams are distinct prefixes: this stay is complete
            }
            var floor = beams.Count >= BeamWidth ? lowestStay : double.NegativeInfinity;

            foreach (var (prefix, score, total) in beams)
            {
                foreach (var c in candidates)
                {
                    var child = prefix.Child(c, LanguageModel);
                    if (double.IsNegativeInfinity(child.LmScore)) continue; // the scorer forbids this extension
                    // A repeated label needs a blank in between; otherwise any path may extend.
                    var path = (c == prefix.Token ? score.Blank : total) + row[c] + child.LmScore;
                    if (child.Stamp != t)
                    {
                        if (path < floor) continue;
                        Touch(child, t, touched);
                    }
                    child.Next.NonBlank = LogAdd(child.Next.NonBlank, path);
                }
            }

            beams.Clear();
            foreach (var p in touched) beams.Add(new Entry(p, p.Next));
            // Up to BeamWidth x (1 + candidates) unordered entries: an O(n log n) sort on the precomputed totals.
            beams.Sort(static (a, b) => b.Total.CompareTo(a.Total));
            if (beams.Count > BeamWidth) beams.RemoveRange(BeamWidth, beams.Count - BeamWidth);
            trace?.AddFrame(beams);
        }

        // The final choice also scores ending here (e.g. a word still open at the end is completed or charged as unknown).
        var best = beams[0].Prefix;
        if (LanguageModel is { } scorer)
        {
            var bestScore = double.NegativeInfinity;
            foreach (var (prefix, _, beamTotal) in beams)
            {
                var total = beamTotal + scorer.Finish(prefix.LmState);
                if (total > bestScore) { bestScore = total; best = prefix; }
            }
        }
        var tokens = new List<int>();
        for (var p = best; p.Parent is not null; p = p.Parent) tokens.Add(p.Token);
        tokens.Reverse();
        trace?.SetBest(best);
        return [.. tokens];
    }

    /// <summary>
    /// Labels worth extending at this frame: the most probable non-blank labels, at most <see cref="BeamWidth"/> of them,
    /// until they and the blank hold 99.9 % of the mass, and none less likely than the best label by more than the prune
    /// ratio. On the peaky posteriors of a trained CTC model most frames keep zero or one candidate, which is what makes
    /// the search cheap.
    /// </summary>
    private void SelectCandidates(ReadOnlySpan<float> row, List<int> candidates)
    {
        candidates.Clear();
        var max = row[ArgMax(row)];
        var floor = max - pruneLogRatio;
        // One pass: keep the BeamWidth most probable non-blank labels above the floor, sorted by probability (insertion sort).
        Span<int> top = stackalloc int[Math.Min(BeamWidth, row.Length)];
        var count = 0;
        for (var c = 1; c < row.Length; c++)
        {
            var p = row[c];
            if (p < floor || count == top.Length && p <= row[top[count - 1]]) continue;
            var i = count < top.Length ? count++ : count - 1;
            while (i > 0 && row[top[i - 1]] < p) { top[i] = top[i - 1]; i--; }
            top[i] = c;
        }
        var mass = Math.Exp(row[Blank]);
        for (var i = 0; i < count && mass < 0.999; i++)
        {
            candidates.Add(top[i]);
            mass += Math.Exp(row[top[i]]);
        }
    }

    private static readonly Score Empty = new() { Blank = double.NegativeInfinity, NonBlank = double.NegativeInfinity };

    /// <summary>First visit of <paramref name="prefix"/> at frame <paramref name="frame"/>: its frame score starts empty.</summary>
    private static void Touch(Prefix prefix, int frame, List<Prefix> touched)
    {
        if (prefix.Stamp == frame) return;
        prefix.Stamp = frame;
        prefix.Next = Empty;
        touched.Add(prefix);
    }

    internal static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        // Beyond a difference of 37, exp(-d) < 2^-53 and 1 + exp(-d) rounds to exactly 1: the result is the larger operand,
        // bit for bit, without the two library calls.
        var d = a - b;
        if (d >= 0) return d > 37 ? a : a + Math.Log(1 + Math.Exp(-d));
        return d < -37 ? b : b + Math.Log(1 + Math.Exp(d));
    }
}

/// <summary>
/// The beams of one <see cref="CtcPrefixBeamSearch.Decode"/> call, frame by frame, for word confidences: the posterior of a
/// decoded word is the share of the beam's probability mass, a little after the word ends, held by hypotheses that contain
/// that word, among the hypotheses that agree with everything before it. Competing spellings, competing words and a
/// still-unfinished alternative all count against it; uncertainty about earlier words does not. Scores are scaled by
/// <c>scale</c> before normalising (like a lattice's acoustic scale), which is what calibration tunes.
/// </summary>
internal sealed class BeamTrace
{
    private readonly List<(CtcPrefixBeamSearch.Prefix Prefix, double Score)[]> _frames = [];
    private readonly List<CtcPrefixBeamSearch.Prefix> _bestPath = []; // _bestPath[k] = the prefix ending with label k

    /// <summary>Frames recorded by the last decode.</summary>
    public int Frames => _frames.Count;

    internal void Clear() { _frames.Clear(); _bestPath.Clear(); }

    internal void AddFrame(List<CtcPrefixBeamSearch.Entry> beams)
    {
        var row = new (CtcPrefixBeamSearch.Prefix, double)[beams.Count];
        for (var i = 0; i < row.Length; i++) row[i] = (beams[i].Prefix, beams[i].Total);
        _frames.Add(row);
    }

    internal void SetBest(CtcPrefixBeamSearch.Prefix best)
    {
        for (var p = best; p.Parent is not null; p = p.Parent) _bestPath.Add(p);
        _bestPath.Reverse();
    }

    /// <summary>
    /// Posterior (0..1) of the word made of labels <paramref name="firstLabel"/>..<paramref name="lastLabel"/> (indices into the
    /// decoded label sequence) at frame <paramref name="frame"/>; null when nothing was recorded for that frame.
    /// </summary>
    public double? WordPosterior(int firstLabel, int lastLabel, int frame, double scale)
    {
        if (_frames.Count == 0 || lastLabel >= _bestPath.Count || firstLabel > lastLabel || firstLabel < 0) return null;
        var row = _frames[Math.Clamp(frame, 0, _frames.Count - 1)];
        var context = firstLabel == 0 ? null : _bestPath[firstLabel - 1]; // null: the root, which every beam descends from
        var word = _bestPath[lastLabel];
        var max = double.NegativeInfinity;
        foreach (var (_, score) in row) max = Math.Max(max, score);
        if (double.IsNegativeInfinity(max)) return null;
        double within = 0, agreeing = 0;
        foreach (var (prefix, score) in row)
        {
            if (context is not null && !DescendsFrom(prefix, context)) continue;
            var mass = Math.Exp(scale * (score - max));
            within += mass;
            if (DescendsFrom(prefix, word)) agreeing += mass;
        }
        return within > 0 ? agreeing / within : null;
    }

    private static bool DescendsFrom(CtcPrefixBeamSearch.Prefix prefix, CtcPrefixBeamSearch.Prefix ancestor)
    {
        var p = prefix;
        while (p is not null && p.Depth > ancestor.Depth) p = p.Parent;
        return ReferenceEquals(p, ancestor);
    }
}
