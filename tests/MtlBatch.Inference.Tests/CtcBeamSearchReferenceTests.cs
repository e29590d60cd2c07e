using MtlBatch.Inference.Ctc;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

/// <summary>
/// The production beam search (prefixes scored in place, extensions that cannot make the beam skipped, library calls
/// skipped where they cannot change a sum) must give exactly what the textbook search gives: every extension of every
/// beam entry kept in a dictionary keyed by label sequence, the whole frame sorted, the beam cut. Compared on random
/// posteriors flat enough that many labels compete at most frames, with and without language scores.
/// </summary>
public class CtcBeamSearchReferenceTests
{
    private static readonly string[] Text =
    [
        "my name is sara", "hello my name is sara", "is sara there", "the cat sat on the mat", "thank you for calling",
        "can the cat see that", "my name is tom",
    ];

    private static readonly WordNgramLm WordLm = WordNgramLm.Build(Text, new WordNgramLmBuildOptions { Order = 3 });
    private static readonly CharNgramLm CharLm = CharNgramLm.Build(Text, new CharNgramLmBuildOptions { Order = 4, MinCount = 1 });

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var scorer in new[] { "none", "char", "words", "words+phrases" })
            foreach (var beam in new[] { 4, 16 }) data.Add(scorer, beam);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gives_exactly_the_textbook_result(string scorerName, int beam)
    {
        var scorer = Scorer(scorerName);
        var random = new Random(beam * 31 + scorerName.Length);
        var differing = 0;
        for (var trial = 0; trial < 25; trial++)
        {
            var frames = random.Next(20, 120);
            var logProbs = RandomPosteriors(random, frames, Chars.Length, sharpness: trial % 2 == 0 ? 2.0 : 4.0);
            var context = trial % 3 == 0 ? "my name" : null;
            var fast = new CtcPrefixBeamSearch(beam, 9.2, scorer).Decode(logProbs, frames, Chars.Length, context);
            var reference = ReferenceDecode(logProbs, frames, Chars.Length, beam, 9.2, scorer, context);
            Assert.Equal(reference, fast);
            if (!reference.SequenceEqual(CtcPrefixBeamSearch.Greedy(logProbs, frames, Chars.Length))) differing++;
        }
        // The posteriors are flat enough that the beam matters (otherwise the comparison would prove little).
        Assert.True(differing >= 5, $"only {differing} of 25 trials differ from greedy decoding");
    }

    private static ICtcPrefixScorer? Scorer(string name) => name switch
    {
        "none" => null,
        "char" => new CtcLmFusion(CharLm, Chars, 1.0, 1.5),
        "words" => new LexiconWordScorer(Lexicon.Build(WordLm, [], null), WordLm, CharLm, Chars, new WordDecodingWeights(1, 2, -4, 0.5, 1, false)),
        // Boosted phrases give large positive extension scores: the case a pruning bound would get wrong.
        _ => new LexiconWordScorer(Lexicon.Build(WordLm, [], [new VocabularyEntry("sara", 6), new VocabularyEntry("thank you", 8)]), WordLm, CharLm, Chars,
            new WordDecodingWeights(1, 2, -4, 0.5, 1, true)),
    };

    private static float[] RandomPosteriors(Random random, int frames, int vocab, double sharpness)
    {
        var lp = new float[frames * vocab];
        var logits = new double[vocab];
        for (var t = 0; t < frames; t++)
        {
            for (var v = 0; v < vocab; v++) logits[v] = sharpness * random.NextDouble() * random.NextDouble() * 3;
            logits[0] += random.NextDouble() * 4; // blank tends to dominate, as in real posteriors
            var max = logits.Max();
            var sum = logits.Sum(l => Math.Exp(l - max));
            for (var v = 0; v < vocab; v++) lp[t * vocab + v] = (float)(logits[v] - max - Math.Log(sum));
        }
        return lp;
    }

    private sealed record Hyp(int[] Labels, PrefixState State, double Blank, double NonBlank)
    {
        public double Total => LogAdd(Blank, NonBlank);
        public int Last => Labels.Length == 0 ? -1 : Labels[^1];
    }

    /// <summary>Hannun et al.'s prefix beam search written plainly: the same candidate rule, LM score per extension, no shortcuts.</summary>
    private static int[] ReferenceDecode(float[] lp, int frames, int vocab, int beamWidth, double prune, ICtcPrefixScorer? lm, string? context)
    {
        var lmCache = new Dictionary<string, (double Score, PrefixState State)>();
        (double Score, PrefixState State) Extend(Hyp h, int c)
        {
            var key = string.Join(',', h.Labels) + "|" + c;
            if (!lmCache.TryGetValue(key, out var v))
            {
                PrefixState next = default;
                var score = lm is null ? 0 : lm.Extend(h.State, c, out next);
                lmCache[key] = v = (score, next);
            }
            return v;
        }

        var beams = new List<Hyp> { new([], lm?.InitialState(context) ?? default, 0, double.NegativeInfinity) };
        for (var t = 0; t < frames; t++)
        {
            var row = lp.AsSpan(t * vocab, vocab).ToArray();
            var candidates = Candidates(row, beamWidth, prune);
            var next = new Dictionary<string, Hyp>();
            void Add(int[] labels, PrefixState state, double blank, double nonBlank)
            {
                var key = string.Join(',', labels);
                next[key] = next.TryGetValue(key, out var h)
                    ? h with { Blank = LogAdd(h.Blank, blank), NonBlank = LogAdd(h.NonBlank, nonBlank) }
                    : new Hyp(labels, state, blank, nonBlank);
            }
            foreach (var h in beams)
            {
                Add(h.Labels, h.State, h.Total + row[0], h.Last >= 0 ? h.NonBlank + row[h.Last] : double.NegativeInfinity);
                foreach (var c in candidates)
                {
                    var (score, state) = Extend(h, c);
                    if (double.IsNegativeInfinity(score)) continue;
                    Add([.. h.Labels, c], state, double.NegativeInfinity, (c == h.Last ? h.Blank : h.Total) + row[c] + score);
                }
            }
            beams = [.. next.Values.OrderByDescending(h => h.Total).Take(beamWidth)];
        }
        var best = beams[0];
        if (lm is not null)
        {
            var bestScore = double.NegativeInfinity;
            foreach (var h in beams)
            {
                var total = h.Total + lm.Finish(h.State);
                if (total > bestScore) { bestScore = total; best = h; }
            }
        }
        return best.Labels;
    }

    private static List<int> Candidates(float[] row, int beamWidth, double prune)
    {
        var floor = row.Max() - prune;
        var ranked = Enumerable.Range(1, row.Length - 1).Where(c => row[c] >= floor).OrderByDescending(c => row[c]).Take(beamWidth).ToList();
        var result = new List<int>();
        var mass = Math.Exp(row[0]);
        foreach (var c in ranked)
        {
            if (mass >= 0.999) break;
            result.Add(c);
            mass += Math.Exp(row[c]);
        }
        return result;
    }

    private static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return a > b ? a + Math.Log(1 + Math.Exp(b - a)) : b + Math.Log(1 + Math.Exp(a - b));
    }
}
