using MtlBatch.Inference.Ctc;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

public class LexiconDecodingTests
{
    private static readonly string[] Text =
    [
        "my name is sara", "hello my name is sara", "my name is sara and i need help", "is sara there", "the cat sat on the mat",
        "the cat is here", "can the cat see that", "my name is tom", "thank you for calling",
    ];

    private static readonly WordNgramLm WordLm = WordNgramLm.Build(Text, new WordNgramLmBuildOptions { Order = 3 });
    private static readonly CharNgramLm CharLm = CharNgramLm.Build(Text, new CharNgramLmBuildOptions { Order = 4, MinCount = 1 });
    private static readonly WordDecodingWeights Weights = new(WordLmWeight: 1, WordInsertionBonus: 2, OovPenalty: -4, CharLmWeight: 0.5,
        CharLmLengthBonus: 1, CharLmOnVocabularyWords: false);

    private static string Decode(float[] lp, int frames, ICtcPrefixScorer? scorer) =>
        string.Concat(new CtcPrefixBeamSearch(16, 20, scorer).Decode(lp, frames, Chars.Length).Select(t => Chars[t]));

    private static LexiconWordScorer Scorer(IReadOnlyList<VocabularyEntry>? vocabulary = null, WordDecodingWeights? weights = null) =>
        new(Lexicon.Build(WordLm, [], vocabulary), WordLm, CharLm, Chars, weights ?? Weights);

    /// <summary>Clear letters for the words, except that one frame is split between two letters (<paramref name="heard"/> a little ahead).</summary>
    private static (float[] LogProbs, int Frames) Utterance(string[] words, int word, int letter, char heard, char spoken, double heardP = 0.5, double spokenP = 0.4)
    {
        var placed = new List<PlacedWord>();
        var frame = 2;
        foreach (var w in words) { placed.Add(new PlacedWord(w, frame)); frame += 3 * w.Length + 4; }
        var frames = frame + 2;
        var lp = LogProbs(Emissions(frames, placed), Chars.Length);
        var row = lp.AsSpan((placed[word].StartFrame + letter * placed[word].Stride) * Chars.Length, Chars.Length);
        for (var v = 0; v < row.Length; v++) row[v] = (float)Math.Log(1e-4);
        row[0] = (float)Math.Log(1 - heardP - spokenP);
        row[Token(heard)] = (float)Math.Log(heardP);
        row[Token(spoken)] = (float)Math.Log(spokenP);
        return (lp, frames);
    }

    [Fact]
    public void The_lexicon_turns_a_misheard_letter_into_the_word()
    {
        // "the cet sat": acoustically "e" is a little ahead; "cet" is no word, "cat" is.
        var (lp, frames) = Utterance(["the", "cat", "sat"], word: 1, letter: 1, heard: 'e', spoken: 'a');
        Assert.Equal("the cet sat", Decode(lp, frames, null));
        Assert.Equal("the cat sat", Decode(lp, frames, Scorer()));
    }

    [Fact]
    public void An_unknown_word_still_comes_out_when_the_acoustics_are_clear()
    {
        var (lp, frames) = Utterance(["my", "name", "is", "kwame"], word: 0, letter: 0, heard: 'm', spoken: 'n', heardP: 0.8, spokenP: 0.1);
        Assert.Equal("my name is kwame", Decode(lp, frames, Scorer()));
        Assert.Equal(-1, Scorer().Lexicon.Find("kwame"));
    }

    [Fact]
    public void A_boosted_rare_name_is_recognised_where_the_unboosted_decoder_misses_it()
    {
        // "my name is zara", the z a little less clear than an s: without the vocabulary the familiar "sara" wins.
        var (lp, frames) = Utterance(["my", "name", "is", "zara"], word: 3, letter: 0, heard: 's', spoken: 'z', heardP: 0.5, spokenP: 0.4);
        Assert.Equal("my name is sara", Decode(lp, frames, Scorer()));
        var vocabulary = CustomVocabulary.Parse(["# agents", "Zara 8", "thank you for calling"], defaultBoost: 3);
        Assert.Equal([new VocabularyEntry("zara", 8), new VocabularyEntry("thank you for calling", 3)], vocabulary);
        Assert.Equal("my name is zara", Decode(lp, frames, Scorer(vocabulary)));
    }

    [Fact]
    public void A_phrase_earns_its_boost_only_when_complete()
    {
        var scorer = Scorer(CustomVocabulary.Parse(["thank you for calling 5"], 0));
        var lexicon = scorer.Lexicon;
        int W(string w) => lexicon.WordAt(lexicon.Find(w));
        var state = 0;
        double earned = 0;
        foreach (var w in new[] { "thank", "you", "for" }) earned += lexicon.AdvancePhrase(state, W(w), out state);
        Assert.Equal(0, earned);
        Assert.Equal(5, lexicon.AdvancePhrase(state, W("calling"), out _));
        // Broken off, the phrase starts again.
        lexicon.AdvancePhrase(state, W("the"), out state);
        Assert.Equal(0, state);
    }

    [Fact]
    public void A_vocabulary_word_is_scored_by_the_word_lm_at_its_end()
    {
        var scorer = Scorer(weights: Weights with { CharLmWeight = 0 });
        var state = scorer.InitialState("my name");
        double total = 0;
        foreach (var c in "is ") { total += scorer.Extend(state, Token(c), out var next); state = next; }
        // The lookahead steps telescope: the word's total is exactly weight · ln P(is | my name) + word bonus.
        Assert.Equal(WordLm.LogProb(WordLm.StateAfter("my name"), WordLm.IdOf("is")) + 2, total, 5);
        Assert.Equal(WordLm.Advance(WordLm.StateAfter("my name"), WordLm.IdOf("is")), state.WordLm);
    }
}
