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

    public Option<double?> ConfidenceScale { get; } = new("--confidence-scale") { Description = $"Scale of the beam scores when word confidences are read from them (default {new TranscriptionOptions().ConfidenceScale})." };

    public Option<WordConfidenceMethod?> Confidence { get; } = new("--confidence") { Description = "Word confidence: CharacterPeak (mean character posterior, default) or BeamPosterior (the word's share of the beam)." };
    public Option<double?> ConfidenceSlope { get; } = new("--confidence-slope") { Description = $"Calibration slope on the logit of the raw confidence (default {new TranscriptionOptions().ConfidenceSlope}; 1 with intercept 0 = raw)." };
    public Option<double?> ConfidenceIntercept { get; } = new("--confidence-intercept") { Description = $"Calibration intercept (default {new TranscriptionOptions().ConfidenceIntercept})." };

    public IEnumerable<Option> All => [WordLm, WordLmWeight, WordBonus, OovPenalty, CharLmOnWords, Vocabulary, ConfidenceScale, Confidence, ConfidenceSlope, ConfidenceIntercept];

    /// <summary>Applies the given options to <paramref name="transcription"/> (the configuration-bound settings).</summary>
    public void ApplyTo(ParseResult parse, TranscriptionOptions transcription)
    {
        if (parse.GetValue(WordLmWeight) is { } w) transcription.WordLmWeight = w;
        if (parse.GetValue(WordBonus) is { } b) transcription.WordInsertionBonus = b;
        if (parse.GetValue(OovPenalty) is { } p) transcription.OovPenalty = p;
        if (parse.GetValue(CharLmOnWords) is { } both) transcription.CharLmOnVocabularyWords = both;
        if (parse.GetValue(Vocabulary) is { } v) transcription.VocabularyPath = v.FullName;
        if (parse.GetValue(ConfidenceScale) is { } c) transcription.ConfidenceScale = c;
        if (parse.GetValue(Confidence) is { } method) transcription.ConfidenceMethod = method;
        if (parse.GetValue(ConfidenceSlope) is { } slope) transcription.ConfidenceSlope = slope;
        if (parse.GetValue(ConfidenceIntercept) is { } intercept) transcription.ConfidenceIntercept = intercept;
    }
}
