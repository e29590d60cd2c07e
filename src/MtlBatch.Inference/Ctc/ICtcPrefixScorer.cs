namespace MtlBatch.Inference.Ctc;

/// <summary>
/// What a <see cref="ICtcPrefixScorer"/> remembers about a prefix of the beam search; each scorer uses the fields it needs
/// and leaves the others 0.
/// </summary>
/// <param name="CharLm">Character LM context (<see cref="CharNgramLm"/> state).</param>
/// <param name="WordLm">Word LM context of the finished words (<see cref="WordNgramLm"/> state).</param>
/// <param name="LexiconNode">Node of the current word in the lexicon trie; 0 = no letter yet, -1 = the word left the lexicon.</param>
/// <param name="PhraseNode">Progress through the custom vocabulary's phrases (0 = none under way).</param>
/// <param name="DeferredCharLm">Character LM score of the current word not charged yet: charged only if the word turns out out-of-vocabulary.</param>
internal readonly record struct PrefixState(ulong CharLm, ulong WordLm, int LexiconNode, int PhraseNode, float DeferredCharLm);

/// <summary>Language scores fused into <see cref="CtcPrefixBeamSearch"/> (shallow fusion).</summary>
internal interface ICtcPrefixScorer
{
    /// <summary>The state a decode starts in: a sentence start, or after <paramref name="precedingText"/> and a word boundary.</summary>
    PrefixState InitialState(string? precedingText);

    /// <summary>Score of extending a prefix in <paramref name="state"/> by a non-blank token, and the state after it.</summary>
    double Extend(in PrefixState state, int token, out PrefixState next);

    /// <summary>Score of ending the decode here (completes an unfinished word); added when the best prefix is chosen.</summary>
    double Finish(in PrefixState state);

    /// <summary>Short description for logs and reports.</summary>
    string Describe();
}
