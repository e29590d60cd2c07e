using System.Text.RegularExpressions;

namespace MtlBatch.Corpus;

/// <summary>
/// Finds what may be a real person's name in transcribed speech, so that the utterance is never imported
/// (docs/data-sources.md, "Personal data"). Shared by the WUW importer and the Switchboard text reader.
/// </summary>
internal static partial class PersonalNames
{
    private static readonly char[] WordPunctuation = [',', '.', '?', '!', ';', ':', '"', '-', '(', ')', '[', ']'];

    /// <summary>"my name is …", "my name's …": the speaker is about to say a name.</summary>
    public static bool SaysAName(string text) => MyName().IsMatch(text);

    /// <summary>
    /// The first word of a cased transcript that may be a personal name, or null when there is none: "my name";
    /// any word of <paramref name="properNouns"/> (case-sensitive, wherever it stands); a capitalised word that does
    /// not start a sentence, except the forms of "I" (I, I'm, I'd, I'll, I've). A sentence starts the utterance and
    /// follows a word that ends in . ? or ! (not "…").
    /// </summary>
    public static string? FindLikelyName(string utterance, IReadOnlySet<string> properNouns)
    {
        if (SaysAName(utterance)) return "my name";
        var sentenceStart = true;
        foreach (var token in utterance.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var word = token.Trim(WordPunctuation);
            if (word.Length == 0) continue;
            if (properNouns.Contains(word) || (!sentenceStart && char.IsUpper(word[0]) && !FirstPerson().IsMatch(word))) return word;
            sentenceStart = token[^1] is '.' or '?' or '!' && !token.EndsWith("..", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>True for the forms of "I" that are capitalised anywhere in a sentence.</summary>
    public static bool IsFirstPerson(string word) => FirstPerson().IsMatch(word);

    [GeneratedRegex(@"\bmy\s+name\b", RegexOptions.IgnoreCase)]
    private static partial Regex MyName();

    [GeneratedRegex(@"^I('m|'d|'ll|'ve)?$")]
    private static partial Regex FirstPerson();
}
