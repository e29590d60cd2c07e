using MtlBatch.Inference.Ctc;

namespace MtlBatch.Inference.Tests;

public class WordNgramLmTests
{
    private static readonly string[] Text =
    [
        "the cat sat on the mat", "a cat ran to the hat", "the black cat is here", "can the cat see that",
        "that cat is fat", "we called the cat", "it's the cat", "the cat and the rat sat", "the cat sat on the hat",
        "the dog sat on the mat", "a dog ran to the cat",
    ];

    private static WordNgramLm Lm(int order, params int[] prune) =>
        WordNgramLm.Build(Text, new WordNgramLmBuildOptions { Order = order, Prune = prune.Length == 0 ? [0] : prune, Description = "test" });

    private static double Sum(WordNgramLm lm, string context)
    {
        var state = lm.StateAfter(context);
        return Enumerable.Range(0, lm.VocabularySize).Where(w => w != WordNgramLm.SentenceStart).Sum(w => Math.Exp(lm.LogProb(state, w)));
    }

    private static readonly string[] ContextTexts = ["", "the", "the cat", "the cat sat", "on the", "zebra", "the zebra sat", "a dog ran to"];

    public static TheoryData<string> Contexts => [.. ContextTexts];

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Each_distribution_sums_to_one_over_the_vocabulary(string context)
    {
        foreach (var lm in new[] { Lm(1), Lm(2), Lm(3), Lm(4), Lm(3, 0, 1), Lm(4, 0, 1, 1), Lm(4, 0, 0, 1) })
            Assert.Equal(1.0, Sum(lm, context), 5);
    }

    [Fact]
    public void Pruning_removes_rare_ngrams()
    {
        var full = Lm(3);
        var pruned = Lm(3, 0, 1);
        Assert.Equal(full.NgramCounts[0], pruned.NgramCounts[0]);
        Assert.True(pruned.NgramCounts[1] < full.NgramCounts[1]);
        Assert.True(pruned.NgramCounts[2] < full.NgramCounts[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Lm(3, 0, 2, 1)); // thresholds may not decrease
    }

    [Fact]
    public void Tiny_corpus_gives_the_hand_computed_kneser_ney_values()
    {
        // Sentences "a b", "a b", "b"; D1 0.5, D2 1, D3+ 1.5. Vocabulary predicted: <unk>, </s>, a, b.
        // Unigram continuation counts: a 1 (<s>), b 2 (a, <s>), </s> 1 (b); total 4; gamma = (0.5 + 1 + 0.5) / 4 = 0.5.
        //   P(a) = 0.5/4 + 0.5/4 = 0.25, P(b) = 1/4 + 0.125 = 0.375, P(</s>) = 0.25, P(<unk>) = 0.125.
        // Bigrams (raw counts): <s> a 2, <s> b 1 -> gamma(<s>) = (1 + 0.5) / 3 = 0.5:
        //   P(a|<s>) = 1/3 + 0.5 * 0.25 = 11/24, P(b|<s>) = 0.5/3 + 0.5 * 0.375 = 17/48, P(</s>|<s>) = 0.125.
        // a b 2 -> P(b|a) = 1/2 + 0.5 * 0.375 = 11/16, P(a|a) = 0.5 * 0.25 = 0.125; b </s> 3 -> P(</s>|b) = 1.5/3 + 0.5 * 0.25 = 0.625.
        var lm = WordNgramLm.Build(["a b", "a b", "b"], new WordNgramLmBuildOptions { Order = 2, FixedDiscounts = [0.5, 1.0, 1.5] });
        double P(ulong state, string w) => Math.Exp(lm.LogProb(state, w == "</s>" ? WordNgramLm.SentenceEnd : lm.IdOf(w)));
        Assert.Equal(0.25, P(0, "a"), 6);
        Assert.Equal(0.375, P(0, "b"), 6);
        Assert.Equal(0.25, P(0, "</s>"), 6);
        Assert.Equal(0.125, Math.Exp(lm.LogProb(0, WordNgramLm.Unknown)), 6);
        Assert.Equal(11.0 / 24, P(lm.Start, "a"), 6);
        Assert.Equal(17.0 / 48, P(lm.Start, "b"), 6);
        Assert.Equal(0.125, P(lm.Start, "</s>"), 6);
        Assert.Equal(11.0 / 16, P(lm.StateAfter("a"), "b"), 6);
        Assert.Equal(0.125, P(lm.StateAfter("a"), "a"), 6);
        Assert.Equal(0.625, P(lm.StateAfter("b"), "</s>"), 6);
    }

    [Fact]
    public void Discounts_follow_chen_and_goodman()
    {
        // n1..n4 = 10, 5, 3, 2: Y = 10 / 20 = 0.5; D1 = 1 - 2·0.5·5/10 = 0.5, D2 = 2 - 3·0.5·3/5 = 1.1, D3+ = 3 - 4·0.5·2/3 = 5/3.
        var d = WordNgramLm.EstimateDiscounts(10, 5, 3, 2);
        Assert.Equal(0.5, d[0], 9);
        Assert.Equal(1.1, d[1], 9);
        Assert.Equal(5.0 / 3, d[2], 9);
    }

    [Fact]
    public void Lower_orders_count_distinct_predecessors_not_occurrences()
    {
        // "francisco" follows only "san" (many times); "glasses" follows many words once each. As a unigram (backed off
        // from an unseen context) Kneser-Ney therefore ranks "glasses" above the more frequent "francisco".
        string[] text = [.. Enumerable.Repeat("san francisco", 6), "red glasses", "blue glasses", "old glasses", "new glasses"];
        var lm = WordNgramLm.Build(text, new WordNgramLmBuildOptions { Order = 2 });
        Assert.True(lm.LogProb(0, lm.IdOf("glasses")) > lm.LogProb(0, lm.IdOf("francisco")));
        Assert.True(lm.Probability("san", "francisco") > 0.5);
    }

    [Fact]
    public void Arpa_round_trip_keeps_every_probability()
    {
        var lm = Lm(3, 0, 1);
        var arpa = new StringWriter();
        lm.WriteArpa(arpa);
        Assert.Contains("\\3-grams:", arpa.ToString(), StringComparison.Ordinal);
        var read = WordNgramLm.ReadArpa(new StringReader(arpa.ToString()));
        Assert.Equal(lm.NgramCounts, read.NgramCounts);
        foreach (var context in ContextTexts)
            foreach (var w in lm.Words.Append(WordNgramLm.SentenceEndToken))
                Assert.Equal(lm.LogProb(lm.StateAfter(context), lm.IdOf(w) is var id && id > 0 ? id : WordNgramLm.SentenceEnd),
                    read.LogProb(read.StateAfter(context), read.IdOf(w) is var rid && rid > 0 ? rid : WordNgramLm.SentenceEnd), 5);
        // Written again, the text is the same.
        var again = new StringWriter();
        read.WriteArpa(again);
        Assert.Equal(arpa.ToString(), again.ToString());
    }

    [Fact]
    public void Binary_round_trip_is_exact_and_deterministic()
    {
        var lm = WordNgramLm.Build(Text, new WordNgramLmBuildOptions { Order = 4, ExtraLexiconWords = ["zebra", "the"], Description = "d" });
        Assert.Equal(["zebra"], lm.ExtraLexiconWords);
        using var first = new MemoryStream();
        lm.Save(first);
        var loaded = WordNgramLm.Load(new MemoryStream(first.ToArray()));
        Assert.Equal("d", loaded.Description);
        Assert.Equal(lm.ExtraLexiconWords, loaded.ExtraLexiconWords);
        foreach (var context in ContextTexts)
            foreach (var w in lm.Words)
                Assert.Equal(lm.LogProb(lm.StateAfter(context), lm.IdOf(w)), loaded.LogProb(loaded.StateAfter(context), loaded.IdOf(w)));
        using var second = new MemoryStream();
        loaded.Save(second);
        Assert.Equal(first.ToArray(), second.ToArray());
        Assert.Throws<InvalidDataException>(() => WordNgramLm.Load(new MemoryStream(Gzip("NOTALM"u8.ToArray()))));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }
}
