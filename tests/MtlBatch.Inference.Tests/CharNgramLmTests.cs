using MtlBatch.Cli.Commands;
using MtlBatch.Corpus;
using MtlBatch.Inference.Ctc;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

public class CharNgramLmTests
{
    private static readonly string[] Text =
    [
        "the cat sat on the mat", "a cat ran to the hat", "the black cat is here", "can the cat see that",
        "that cat is fat", "we called the cat", "it's the cat", "the cat and the rat sat",
    ];

    private static CharNgramLm Lm(int order = 4, int minCount = 2) =>
        CharNgramLm.Build(Text, new CharNgramLmBuildOptions { Order = order, MinCount = minCount, Description = "test" });

    public static TheoryData<string> Contexts => ["", "t", "th", "the c", "zzqx", "the cat sat on the m", "it'"];

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Each_distribution_sums_to_one_over_the_vocabulary(string context)
    {
        foreach (var (order, minCount) in new[] { (4, 1), (4, 2), (6, 3), (1, 1) })
        {
            var lm = Lm(order, minCount);
            var state = lm.StateAfter(context);
            var sum = Enumerable.Range(CharNgramLm.SentenceEnd, CharNgramLm.PredictedSymbols).Sum(s => lm.Probability(state, s));
            Assert.Equal(1.0, sum, 9);
        }
    }

    [Fact]
    public void Seen_continuations_are_more_probable_than_unseen_ones()
    {
        var lm = Lm();
        Assert.True(lm.LogProb(lm.StateAfter("the c"), 'a') > lm.LogProb(lm.StateAfter("the c"), 'e') + 2);
        Assert.True(lm.LogProb(lm.StateAfter("th"), 'e') > lm.LogProb(lm.StateAfter("th"), 'q'));
        // Sentence start matters: "the" begins sentences, so 't' is likelier at the start than after "o".
        Assert.True(lm.LogProb(lm.Start, 't') > lm.LogProb(lm.StateAfter("o"), 't'));
    }

    [Fact]
    public void Pruning_drops_rare_ngrams_and_keeps_the_model_normalised()
    {
        var full = Lm(minCount: 1);
        var pruned = Lm(minCount: 3);
        Assert.True(pruned.NgramCount < full.NgramCount);
        Assert.True(pruned.ContextCount < full.ContextCount);
    }

    [Fact]
    public void Save_and_load_round_trip_gives_the_same_probabilities()
    {
        var lm = Lm(order: 5, minCount: 1);
        using var first = new MemoryStream();
        lm.Save(first);
        var loaded = CharNgramLm.Load(new MemoryStream(first.ToArray()));

        Assert.Equal((lm.Order, lm.ContextCount, lm.NgramCount, lm.Description), (loaded.Order, loaded.ContextCount, loaded.NgramCount, loaded.Description));
        foreach (var context in Contexts)
            for (var s = CharNgramLm.SentenceEnd; s < CharNgramLm.SentenceEnd + CharNgramLm.PredictedSymbols; s++)
                Assert.Equal(lm.Probability(lm.StateAfter(context), s), loaded.Probability(loaded.StateAfter(context), s));

        using var second = new MemoryStream();
        loaded.Save(second);
        Assert.Equal(first.ToArray(), second.ToArray()); // deterministic file

        var bytes = first.ToArray();
        Assert.Throws<InvalidDataException>(() => CharNgramLm.Load(new MemoryStream(Gzip("NOTANLM!!"u8.ToArray()))));
        Assert.ThrowsAny<Exception>(() => CharNgramLm.Load(new MemoryStream(bytes[..(bytes.Length / 2)])));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>"the c?t": the vowel frame is acoustically a little more "e" than "a".</summary>
    private static (float[] LogProbs, int Frames) Ambiguous()
    {
        var emissions = Emissions(40, [new PlacedWord("the", 2), new PlacedWord("cat", 16)]);
        var lp = LogProbs(emissions, Chars.Length);
        var vowel = (16 + 3) * Chars.Length;
        var row = lp.AsSpan(vowel, Chars.Length);
        for (var v = 0; v < row.Length; v++) row[v] = (float)Math.Log(1e-4);
        row[0] = (float)Math.Log(0.1);
        row[Token('e')] = (float)Math.Log(0.46);
        row[Token('a')] = (float)Math.Log(0.44);
        return (lp, 40);
    }

    private static string Spell(IEnumerable<int> tokens) => string.Concat(tokens.Select(t => Chars[t]));

    [Fact]
    public void Fusion_picks_the_spelling_the_lm_prefers_and_without_lm_the_acoustically_best()
    {
        var (lp, frames) = Ambiguous();
        Assert.Equal("the cet", Spell(new CtcPrefixBeamSearch(8).Decode(lp, frames, Chars.Length)));
        var fusion = new CtcLmFusion(Lm(), Chars, weight: 0.5, lengthBonus: 1.0);
        Assert.Equal(28, fusion.MappedCharacters);
        Assert.Equal("the cat", Spell(new CtcPrefixBeamSearch(8, lm: fusion).Decode(lp, frames, Chars.Length)));

        // The streaming word decoder uses the same fusion.
        var decoder = new StreamingWordDecoder(Chars, 0.02, 8, languageModel: fusion);
        decoder.Push(lp, frames, isLast: true);
        Assert.Equal(["the", "cat"], decoder.Words.Select(w => w.Text));
    }

    [Fact]
    public void Preceding_text_is_the_context_of_a_continued_decode()
    {
        var lm = Lm();
        var fusion = new CtcLmFusion(lm, Chars, 1, 0);
        Assert.Equal(lm.Start, fusion.InitialState(null));
        Assert.Equal(lm.StateAfter("the cat sat on the "), fusion.InitialState("the cat sat on the"));
        Assert.Equal(lm.StateAfter("it's "), fusion.InitialState("it's "));
        // A space at a word boundary is transparent: free and state-preserving.
        var state = fusion.InitialState("the");
        Assert.Equal(0, fusion.Extend(state, Space, out var next));
        Assert.Equal(state, next);
        Assert.Equal(lm.LogProb(state, 'c'), fusion.Extend(state, Token('c'), out next), 12);
        Assert.Equal(lm.Advance(state, CharNgramLm.SymbolOf('c')), next);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Zero_weight_decodes_exactly_like_no_lm(int seed)
    {
        // Noisy, far from peaky posteriors: many candidates per frame, so every code path of the search runs.
        var random = new Random(seed);
        const int frames = 120;
        var vocab = Chars.Length;
        var lp = new float[frames * vocab];
        for (var t = 0; t < frames; t++)
        {
            var row = lp.AsSpan(t * vocab, vocab);
            for (var v = 0; v < vocab; v++) row[v] = (float)(random.NextDouble() * 4 * (v == 0 ? 1.5 : 1));
            var max = row.ToArray().Max();
            var logSum = max + Math.Log(row.ToArray().Sum(x => Math.Exp(x - max)));
            for (var v = 0; v < vocab; v++) row[v] = (float)(row[v] - logSum);
        }
        var plain = new CtcPrefixBeamSearch(8, 20).Decode(lp, frames, vocab);
        var zero = new CtcPrefixBeamSearch(8, 20, new CtcLmFusion(Lm(), Chars, 0, 0)).Decode(lp, frames, vocab, "the cat");
        Assert.Equal(plain, zero);
        Assert.NotEmpty(plain);
        var fused = new CtcPrefixBeamSearch(8, 20, new CtcLmFusion(Lm(), Chars, 1, 0)).Decode(lp, frames, vocab);
        Assert.NotEqual(plain, fused); // the LM does change noisy decodes
    }

    [Fact]
    public void Regions_cut_anywhere_decode_the_same_words_with_the_lm()
    {
        PlacedWord[] words = [new("the", 5), new("cat", 30), new("sat", 60), new("that", 95)];
        const int frames = 120;
        var lp = LogProbs(Emissions(frames, words), Chars.Length, peak: 0.7); // cuts inside words exercise the carry
        var fusion = new CtcLmFusion(Lm(), Chars, 0.5, 1.0);
        var vocab = Chars.Length;
        var whole = new StreamingWordDecoder(Chars, 0.02, 8, languageModel: fusion);
        whole.Push(lp, frames, isLast: true);
        Assert.Equal(words.Select(w => w.Text), whole.Words.Select(w => w.Text));
        for (var cut = 1; cut < frames; cut += 3)
        {
            var decoder = new StreamingWordDecoder(Chars, 0.02, 8, languageModel: fusion);
            decoder.Push(lp.AsSpan(0, cut * vocab), cut, isLast: false);
            decoder.Push(lp.AsSpan(cut * vocab), frames - cut, isLast: true);
            Assert.Equal(whole.Words, decoder.Words);
        }
    }

    [Fact]
    public async Task Training_text_is_train_jsonl_plus_the_pool_without_held_out_sentences()
    {
        var folder = Directory.CreateTempSubdirectory("lmtext").FullName;
        try
        {
            await File.WriteAllLinesAsync(Path.Combine(folder, "train.jsonl"),
                ["""{"id":"tr1","audio":"a.wav","duration":1,"text":"train sentence one"}""", """{"id":"tr2","audio":"b.wav","duration":1}"""]);
            await File.WriteAllLinesAsync(Path.Combine(folder, "valid.jsonl"), ["""{"id":"va1","audio":"c.wav","duration":1,"text":"valid sentence"}"""]);
            var source = new SentenceSource(7, dialogueCount: 400, fortuneFolder: folder, dictionaryFile: Path.Combine(folder, "none"));

            var trainOnly = await LmTrainingText.ReadAsync(folder, includeSentencePool: false, 7, CancellationToken.None, source);
            Assert.Equal(["train sentence one"], trainOnly.Sentences);

            var withPool = await LmTrainingText.ReadAsync(folder, includeSentencePool: true, 7, CancellationToken.None, source);
            Assert.Contains("train sentence one", withPool.Sentences);
            Assert.DoesNotContain("valid sentence", withPool.Sentences);
            Assert.DoesNotContain(withPool.Sentences, SentenceSource.IsHeldOut);
            var heldOut = source.Dialogue.Count(SentenceSource.IsHeldOut);
            Assert.True(heldOut > 0, "the pool should hold some held-out sentences for this test to mean anything");
            Assert.Equal(1 + source.Dialogue.Count - heldOut, withPool.Sentences.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
