using System.CommandLine;
using MtlBatch.Inference;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// The word-decoding options analyze and eval share. Each overrides its configuration setting
/// (<c>Analysis:PostProcessing:Transcription:*</c>) only when given.
/// </summary>
internal sealed class DecoderCliOptions
{
    public Option<string?> WordLm { get; } = new("--word-lm") { Description = "Word LM + lexicon file, or off (default: <model>.wordlm next to the model when present)." };
    public Option<double?> WordLmWeight { get; } = new("--word-lm-weight") { Description = $"Word LM weight (0 = no word decoding; default {new TranscriptionOptions().WordLmWeight})." };
    public Option<double?> WordBonus { get; } = new("--word-bonus") { Description = $"Bonus per decoded word (default {new TranscriptionOptions().WordInsertionBonus})." };
    public Option<double?> OovPenalty { get; } = new("--oov-penalty") { Description = $"Penalty (<= 0) for a word outside the lexicon (default {new TranscriptionOptions().OovPenalty})." };
    public Option<bool?> CharLmOnWords { get; } = new("--char-lm-on-words") { Description = "Also score vocabulary words with the character LM (both LMs)." };
    public Option<FileInfo?> Vocabulary { get; } = new("--vocabulary") { Description = "Custom vocabulary: one word or phrase per line, optionally followed by a boost (default boost: Analysis:PostProcessing:Transcription:VocabularyBoost)." };

    public IEnumerable<Option> All => [WordLm, WordLmWeight, WordBonus, OovPenalty, CharLmOnWords, Vocabulary];

    /// <summary>Applies the given options to <paramref name="transcription"/> (the configuration-bound settings).</summary>
    public void ApplyTo(ParseResult parse, TranscriptionOptions transcription)
    {
        if (parse.GetValue(WordLmWeight) is { } w) transcription.WordLmWeight = w;
        if (parse.GetValue(WordBonus) is { } b) transcription.WordInsertionBonus = b;
        if (parse.GetValue(OovPenalty) is { } p) transcription.OovPenalty = p;
        if (parse.GetValue(CharLmOnWords) is { } both) transcription.CharLmOnVocabularyWords = both;
        if (parse.GetValue(Vocabulary) is { } v) transcription.VocabularyPath = v.FullName;
    }
}
