using System.Globalization;

namespace MtlBatch.Inference.Ctc;

/// <summary>Weights of <see cref="LexiconWordScorer"/> (from <see cref="TranscriptionOptions"/>).</summary>
/// <param name="WordLmWeight">Weight of ln P_word(w | previous words), added when a vocabulary word ends.</param>
/// <param name="WordInsertionBonus">Added per finished word (offsets the LM's per-word cost, which favours deleting words).</param>
/// <param name="OovPenalty">Added once when a word leaves the lexicon (an out-of-vocabulary word spelled letter by letter).</param>
/// <param name="CharLmWeight">Weight of the character LM on out-of-vocabulary words (and on every word with <paramref name="CharLmOnVocabularyWords"/>).</param>
/// <param name="CharLmLengthBonus">Bonus per character the character LM scores.</param>
/// <param name="CharLmOnVocabularyWords">Also score the letters of vocabulary words with the character LM ("both" LMs).</param>
public sealed record WordDecodingWeights(double WordLmWeight, double WordInsertionBonus, double OovPenalty,
    double CharLmWeight, double CharLmLengthBonus, bool CharLmOnVocabularyWords);

/// <summary>
/// Lexicon-constrained word decoding for <see cref="CtcPrefixBeamSearch"/>: the letters of a word walk the
/// <see cref="Lexicon"/> trie; when the word ends (a space, or the end of the decode) a vocabulary word scores
/// <c>WordLmWeight · ln P(w | previous words) + phrase boost + WordInsertionBonus</c>. A word whose letters leave the trie
/// continues as an out-of-vocabulary word, scored letter by letter by the character LM plus <c>OovPenalty</c>, so names and
/// rare words can still come out; it enters the word LM's context as <c>&lt;unk&gt;</c>.
/// </summary>
/// <remarks>
/// <para>Lookahead: inside the trie a prefix is charged the drop of the best unigram score reachable below it
/// (<see cref="Lexicon.Lookahead"/>) letter by letter, and the word end replaces that bound by the word's real score; so the
/// search prunes dead prefixes early while a finished word's total is exactly its word score.</para>
/// <para>Without <see cref="WordDecodingWeights.CharLmOnVocabularyWords"/>, the character LM score of a word's letters is
/// kept in the state and charged only if the word leaves the lexicon, so a vocabulary word is scored by the word LM alone and
/// an out-of-vocabulary word by the character LM alone (plus the penalty).</para>
/// <para>Spaces where no word is open (after a space, at the start) are free and change nothing, as with <see cref="CtcLmFusion"/>;
/// model symbols outside the alphabet (e.g. <c>&lt;unk&gt;</c>) are transparent.</para>
/// </remarks>
internal sealed class LexiconWordScorer : ICtcPrefixScorer
{
    private const int Transparent = -1;
    private const int SpaceToken = -2;
    private readonly Lexicon _lexicon;
    private readonly WordNgramLm? _wordLm;
    private readonly CharNgramLm? _charLm;
    private readonly WordDecodingWeights _weights;
    private readonly int[] _symbolOfToken; // trie symbol, SpaceToken or Transparent
    private readonly int[] _charSymbolOfToken; // character LM symbol or -1
    private readonly float[] _lookahead;
    private readonly int _charSpace = CharNgramLm.SymbolOf(' ');

    /// <param name="chars">The model's character vocabulary (index 0 = CTC blank).</param>
    public LexiconWordScorer(Lexicon lexicon, WordNgramLm? wordLm, CharNgramLm? charLm, IReadOnlyList<string> chars, WordDecodingWeights weights)
    {
        _lexicon = lexicon;
        _wordLm = wordLm;
        _charLm = charLm is not null && weights.CharLmWeight != 0 ? charLm : null;
        _weights = weights;
        _symbolOfToken = new int[chars.Count];
        _charSymbolOfToken = new int[chars.Count];
        for (var i = 0; i < chars.Count; i++)
        {
            var c = chars[i];
            _symbolOfToken[i] = i == CtcPrefixBeamSearch.Blank || c.Length != 1 ? Transparent : c == " " ? SpaceToken : Lexicon.SymbolOf(c[0]) is var s and >= 0 ? s : Transparent;
            _charSymbolOfToken[i] = _symbolOfToken[i] == Transparent ? -1 : CharNgramLm.SymbolOf(c[0]);
        }
        _lookahead = lexicon.Lookahead(wordLm, weights.WordLmWeight);
    }

    public Lexicon Lexicon => _lexicon;
    public WordDecodingWeights Weights => _weights;

    public PrefixState InitialState(string? precedingText)
    {
        ulong charState = 0;
        if (_charLm is not null)
        {
            if (string.IsNullOrEmpty(precedingText)) charState = _charLm.Start;
            else
            {
                var tail = precedingText.Length > _charLm.Order ? precedingText[^_charLm.Order..] : precedingText;
                charState = _charLm.StateAfter(tail);
                if (CharNgramLm.LastSymbol(charState) != _charSpace) charState = _charLm.Advance(charState, _charSpace);
            }
        }
        ulong wordState = 0;
        if (_wordLm is not null)
        {
            wordState = _wordLm.Start;
            // Only the newest N-1 words matter; an older first word of a truncated tail may be cut and is never used.
            var words = (precedingText ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var w in words.Skip(Math.Max(0, words.Length - (_wordLm.Order - 1)))) wordState = _wordLm.Advance(wordState, _wordLm.IdOf(w));
        }
        return new PrefixState(charState, wordState, 0, 0, 0);
    }

    public double Extend(in PrefixState state, int token, out PrefixState next)
    {
        var symbol = (uint)token < (uint)_symbolOfToken.Length ? _symbolOfToken[token] : Transparent;
        if (symbol == Transparent || symbol == SpaceToken && state.LexiconNode == 0)
        {
            next = state;
            return 0;
        }
        var charScore = CharScore(state.CharLm, _charSymbolOfToken[token], out var charState);
        var both = _weights.CharLmOnVocabularyWords;
        if (symbol == SpaceToken)
        {
            var outOfVocabulary = state.LexiconNode < 0 || _lexicon.WordAt(state.LexiconNode) < 0;
            var score = WordEnd(state, out next);
            // The space is the end of the word for the character LM: charged like the word's other letters.
            if (both || outOfVocabulary) score += charScore;
            next = next with { CharLm = charState };
            return score;
        }

        var node = state.LexiconNode;
        if (node >= 0)
        {
            var child = _lexicon.Child(node, symbol);
            if (child >= 0)
            {
                next = new PrefixState(charState, state.WordLm, child, state.PhraseNode, both ? 0 : state.DeferredCharLm + (float)charScore);
                return _lookahead[child] - _lookahead[node] + (both ? charScore : 0);
            }
            // The word leaves the lexicon: drop its lookahead, charge the penalty and the letters so far.
            next = new PrefixState(charState, state.WordLm, -1, state.PhraseNode, 0);
            return -(_lookahead[node] - _lookahead[0]) + _weights.OovPenalty + charScore + (both ? 0 : state.DeferredCharLm);
        }
        next = state with { CharLm = charState };
        return charScore;
    }

    public double Finish(in PrefixState state) => state.LexiconNode == 0 ? 0 : WordEnd(state, out _);

    /// <summary>Score of ending the open word of <paramref name="state"/> (not the space itself), and the state after it.</summary>
    private double WordEnd(in PrefixState state, out PrefixState next)
    {
        var node = state.LexiconNode;
        var word = node > 0 ? _lexicon.WordAt(node) : -1;
        double score = _weights.WordInsertionBonus;
        int lmId = WordNgramLm.Unknown, phrase = 0;
        if (word >= 0)
        {
            lmId = _lexicon.LmIdOf(word);
            if (_wordLm is not null) score += _weights.WordLmWeight * _wordLm.LogProb(state.WordLm, lmId);
            score += _lexicon.AdvancePhrase(state.PhraseNode, word, out phrase);
            score -= _lookahead[node] - _lookahead[0];
        }
        else if (node > 0)
        {
            // A lexicon prefix that is not a word: an out-of-vocabulary word after all.
            score += -(_lookahead[node] - _lookahead[0]) + _weights.OovPenalty + (_weights.CharLmOnVocabularyWords ? 0 : state.DeferredCharLm);
        }
        next = new PrefixState(state.CharLm, _wordLm?.Advance(state.WordLm, lmId) ?? 0, 0, phrase, 0);
        return score;
    }

    private double CharScore(ulong state, int charSymbol, out ulong next)
    {
        next = state;
        if (_charLm is null || charSymbol < 0) return 0;
        next = _charLm.Advance(state, charSymbol);
        return _weights.CharLmWeight * _charLm.LogProb(state, charSymbol) + _weights.CharLmLengthBonus;
    }

    public string Describe()
    {
        var w = _weights;
        return string.Create(CultureInfo.InvariantCulture,
            $"lexicon {_lexicon.WordCount} words{(_lexicon.PhraseCount > 0 ? $" + {_lexicon.PhraseCount} custom" : "")}, word LM {(_wordLm is null ? "none" : $"order {_wordLm.Order}")} (weight {w.WordLmWeight}, word bonus {w.WordInsertionBonus}, OOV penalty {w.OovPenalty}), " +
            $"character LM {(_charLm is null ? "none" : $"(weight {w.CharLmWeight}, bonus {w.CharLmLengthBonus}, {(w.CharLmOnVocabularyWords ? "every word" : "unknown words")})")}");
    }
}
