using System.Text.RegularExpressions;

namespace MtlBatch.Corpus.Import;

/// <summary>What the WUW annotation of one utterance allows.</summary>
public enum WuwTextKind
{
    /// <summary>A clean transcript in the model's characters.</summary>
    Text,
    /// <summary>Audio usable (speaker, VAD) but the words are not fully known (unintelligible, partial or spelled words, digits).</summary>
    NoText,
    /// <summary>Never import: the utterance may hold a person's name.</summary>
    Drop,
}

/// <summary>
/// Normalises WUW-II orthography (archive/WUWII_Transcriptions.txt) to the model's character set. Rules
/// (docs/data-sources.md):
/// <list type="bullet">
/// <item>Non-speech events are removed: <c>{breath}</c>, <c>{smack}</c>, <c>[click]</c>, <c>[static]</c>, span marks
/// <c>[static/] … [/static]</c> (the words inside stay), <c>[[skip]]</c>, stray brackets and <c>&gt;</c>.</item>
/// <item>Word marks are stripped and the word kept: <c>+gonna</c> (non-standard form), <c>*unfree</c> (mispronounced),
/// <c>_Wildfire_</c> (keyword); run-together keywords are split at case changes (<c>ThinkEngine</c> → think engine).</item>
/// <item>No transcript (audio kept for speaker and VAD): <c>(( ))</c> unintelligible stretches, partial words
/// (<c>wh-</c>), spelled letters (<c>~T</c>), digits or symbols the normaliser cannot spell.</item>
/// <item>Dropped entirely: any <c>^</c>-marked proper noun and any "my name is" — they may be a person's name.
/// (Utterance 000, the caller's own name, is never read at all.)</item>
/// </list>
/// </summary>
public static partial class WuwOrthography
{
    public static (WuwTextKind Kind, string? Text) Normalize(string orthography)
    {
        var s = orthography;
        if (s.Contains('^', StringComparison.Ordinal) || PersonalNames.SaysAName(s)) return (WuwTextKind.Drop, null);
        // Digits: how the caller read them ("nine one one", "nine eleven") is not written down.
        if (s.Contains("((", StringComparison.Ordinal) || s.Contains("))", StringComparison.Ordinal) || s.Contains('~', StringComparison.Ordinal) || s.Any(char.IsAsciiDigit))
            return (WuwTextKind.NoText, null);
        s = BraceRegex().Replace(s, " ");
        s = BracketRegex().Replace(s, " ");
        s = OpenBracketRegex().Replace(s, " ");
        s = s.Replace("[", " ", StringComparison.Ordinal).Replace("]", " ", StringComparison.Ordinal).Replace(">", " ", StringComparison.Ordinal)
            .Replace("\\", " ", StringComparison.Ordinal).Replace("/", " ", StringComparison.Ordinal);
        var words = new List<string>();
        foreach (var raw in s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var w = raw.Trim('+', '*', '_', '.', ',', '?', '!', ';', ':', '"');
            if (w.Length == 0) continue;
            if (w.EndsWith('-')) return (WuwTextKind.NoText, null);
            words.Add(CamelRegex().Replace(w, " "));
        }
        if (words.Count == 0) return (WuwTextKind.NoText, null);
        var text = TextNormalizer.Normalize(string.Join(' ', words));
        return text is null ? (WuwTextKind.NoText, null) : (WuwTextKind.Text, text);
    }

    [GeneratedRegex(@"\{[^}]*\}?")]
    private static partial Regex BraceRegex();

    // [click], [static/], [/static], [\static], [prices paid], [[skip]]: non-speech marks, never words.
    [GeneratedRegex(@"\[+[^\[\]]*\]+")]
    private static partial Regex BracketRegex();

    // An unclosed mark ("[\static Voyager"): the mark word goes, the words after it stay.
    [GeneratedRegex(@"\[+[^\s\]]*")]
    private static partial Regex OpenBracketRegex();

    [GeneratedRegex(@"(?<=[a-z])(?=[A-Z])")]
    private static partial Regex CamelRegex();
}
