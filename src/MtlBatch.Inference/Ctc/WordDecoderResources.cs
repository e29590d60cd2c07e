using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MtlBatch.Inference.Ctc;

/// <summary>
/// The language models loaded with a model and the lexicons built from them: the base lexicon (word LM words + its extra
/// lexicon words) once, and one per custom vocabulary file. Thread-safe; lexicons are read-only and shared.
/// </summary>
internal sealed class WordDecoderResources(CharNgramLm? charLm, WordNgramLm? wordLm, ILogger logger)
{
    private readonly ConcurrentDictionary<(string Path, double Boost), Lazy<Lexicon>> _lexicons = new();

    /// <summary>The scorer for these settings, or null for acoustic-only decoding (see <see cref="MtlModelFactory.CreateScorer"/>).</summary>
    public ICtcPrefixScorer? CreateScorer(IReadOnlyList<string> chars, TranscriptionOptions options)
    {
        var hasVocabulary = options.VocabularyPath is not null;
        if (wordLm is not null && options.WordLmWeight != 0 || hasVocabulary)
        {
            var lexicon = LexiconFor(options.VocabularyPath, options.VocabularyBoost);
            return new LexiconWordScorer(lexicon, options.WordLmWeight != 0 ? wordLm : null, options.LmWeight != 0 ? charLm : null, chars,
                new WordDecodingWeights(options.WordLmWeight, options.WordInsertionBonus, options.OovPenalty, options.LmWeight,
                    options.LmLengthBonus, options.CharLmOnVocabularyWords));
        }
        return charLm is not null && options.LmWeight != 0 ? new CtcLmFusion(charLm, chars, options.LmWeight, options.LmLengthBonus) : null;
    }

    private Lexicon LexiconFor(string? vocabularyPath, double defaultBoost)
    {
        var key = (vocabularyPath is null ? "" : Path.GetFullPath(vocabularyPath), vocabularyPath is null ? 0 : defaultBoost);
        return _lexicons.GetOrAdd(key, k => new Lazy<Lexicon>(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var vocabulary = k.Path.Length == 0 ? [] : CustomVocabulary.Read(k.Path, k.Boost);
            var lexicon = Lexicon.Build(wordLm, wordLm?.ExtraLexiconWords ?? [], vocabulary);
            logger.LogInformation("Lexicon: {Words} words, {Nodes} trie nodes, {Phrases} custom vocabulary entries{From}, built in {Seconds:F2} s",
                lexicon.WordCount, lexicon.NodeCount, vocabulary.Count, k.Path.Length == 0 ? "" : " from " + k.Path, clock.Elapsed.TotalSeconds);
            return lexicon;
        })).Value;
    }
}
