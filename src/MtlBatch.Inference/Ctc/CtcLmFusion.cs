namespace MtlBatch.Inference.Ctc;

/// <summary>
/// Shallow fusion of a <see cref="CharNgramLm"/> into <see cref="CtcPrefixBeamSearch"/>: extending a prefix by a non-blank
/// character c adds <c>Weight · log P_lm(c | last N-1 characters) + LengthBonus</c> to its score. The bonus offsets the
/// LM's per-character cost, which would otherwise favour dropping characters.
/// </summary>
/// <remarks>
/// Spaces are transparent where they carry no text: a space right after a space or at the start of a sentence does not
/// change the LM state and scores 0 (transcripts collapse such spaces anyway; charging for them would only make the search
/// fight the acoustics over silence). Model characters outside the LM alphabet (e.g. <c>&lt;unk&gt;</c>) are transparent too.
/// </remarks>
internal sealed class CtcLmFusion : ICtcPrefixScorer
{
    private readonly int[] _symbolOfToken;
    private readonly int _spaceSymbol = CharNgramLm.SymbolOf(' ');

    /// <param name="chars">The model's character vocabulary (index 0 = CTC blank).</param>
    public CtcLmFusion(CharNgramLm lm, IReadOnlyList<string> chars, double weight, double lengthBonus)
    {
        Lm = lm;
        Weight = weight;
        LengthBonus = lengthBonus;
        _symbolOfToken = new int[chars.Count];
        for (var i = 0; i < chars.Count; i++)
            _symbolOfToken[i] = i != CtcPrefixBeamSearch.Blank && chars[i].Length == 1 ? CharNgramLm.SymbolOf(chars[i][0]) : -1;
        MappedCharacters = _symbolOfToken.Count(s => s > 0);
    }

    public CharNgramLm Lm { get; }
    public double Weight { get; }
    public double LengthBonus { get; }
    /// <summary>Model characters the LM knows (28 for the mtl-small vocabulary); 0 means the LM cannot help this model.</summary>
    public int MappedCharacters { get; }

    /// <summary>
    /// The LM state a decode starts from: the start of a sentence, or — when decoding continues a transcript — after the
    /// last words already committed (<paramref name="precedingText"/>) and a word boundary.
    /// </summary>
    public ulong InitialState(string? precedingText)
    {
        if (string.IsNullOrEmpty(precedingText)) return Lm.Start;
        var tail = precedingText.Length > Lm.Order ? precedingText[^Lm.Order..] : precedingText;
        var state = Lm.StateAfter(tail);
        return CharNgramLm.LastSymbol(state) == _spaceSymbol ? state : Lm.Advance(state, _spaceSymbol);
    }

    /// <summary>The fused score of extending a prefix in <paramref name="state"/> by <paramref name="token"/>, and the state after it.</summary>
    public double Extend(ulong state, int token, out ulong next)
    {
        var symbol = (uint)token < (uint)_symbolOfToken.Length ? _symbolOfToken[token] : -1;
        var last = CharNgramLm.LastSymbol(state);
        if (symbol < 0 || symbol == _spaceSymbol && (last == _spaceSymbol || last == CharNgramLm.SentenceStart))
        {
            next = state;
            return 0;
        }
        next = Lm.Advance(state, symbol);
        return Weight * Lm.LogProb(state, symbol) + LengthBonus;
    }

    PrefixState ICtcPrefixScorer.InitialState(string? precedingText) => new(InitialState(precedingText), 0, 0, 0, 0);

    double ICtcPrefixScorer.Extend(in PrefixState state, int token, out PrefixState next)
    {
        var score = Extend(state.CharLm, token, out var charState);
        next = state with { CharLm = charState };
        return score;
    }

    /// <summary>No end-of-sentence score: regions of a recording do not end at sentence ends.</summary>
    double ICtcPrefixScorer.Finish(in PrefixState state) => 0;

    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"character LM (weight {Weight}, bonus {LengthBonus})");
}
