using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Inference.PostProcessing;

/// <summary>A redacted run of words: indices <see cref="First"/>..<see cref="Last"/> (inclusive) and its label, e.g. <c>CARD</c>.</summary>
internal readonly record struct RedactionMatch(int First, int Last, string Label);

/// <summary>
/// Finds personal data in a word sequence as the model emits it: spelled-out digits ("four five six ..."; also "oh",
/// "double five", teens, tens and numerals), e-mail addresses read aloud ("john at example dot com") and supplied phrases.
/// A digit run of 13-19 digits is a card number (optionally Luhn-checked), of 7-15 digits a phone number, any digit run a
/// number. Pure: words in, matches out (docs/analytics.md#redaction).
/// </summary>
internal sealed class TranscriptRedactor
{
    public const string Card = "CARD", Phone = "PHONE", Email = "EMAIL", Number = "NUMBER", Phrase = "PHRASE";

    private static readonly Dictionary<string, int> s_units = new(StringComparer.Ordinal)
    {
        ["zero"] = 0, ["nought"] = 0, ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5,
        ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9,
    };
    private static readonly Dictionary<string, int> s_teens = new(StringComparer.Ordinal)
    {
        ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["thirteen"] = 13, ["fourteen"] = 14, ["fifteen"] = 15,
        ["sixteen"] = 16, ["seventeen"] = 17, ["eighteen"] = 18, ["nineteen"] = 19,
    };
    private static readonly Dictionary<string, int> s_tens = new(StringComparer.Ordinal)
    {
        ["twenty"] = 2, ["thirty"] = 3, ["forty"] = 4, ["fifty"] = 5, ["sixty"] = 6, ["seventy"] = 7, ["eighty"] = 8, ["ninety"] = 9,
    };
    /// <summary>"oh" and "o" are zeros only between other digits ("five oh two"), never at a run's edge ("oh, five of them").</summary>
    private static readonly HashSet<string> s_weakZeros = new(StringComparer.Ordinal) { "oh", "o" };
    private static readonly HashSet<string> s_emailJoiners = new(StringComparer.Ordinal) { "dot", "underscore", "dash", "hyphen" };
    private static readonly HashSet<string> s_topLevelDomains = new(StringComparer.Ordinal)
    {
        "com", "org", "net", "edu", "gov", "io", "co", "uk", "us", "de", "fr", "nl", "eu", "ie", "ca", "au", "info", "biz",
    };
    private static readonly HashSet<string> s_notLocalPart = new(StringComparer.Ordinal)
    {
        "is", "it's", "its", "was", "me", "my", "email", "mail", "address", "at", "dot", "the", "a", "an", "to", "and", "or", "it",
        "you", "reach", "write", "send", "contact", "us", "them", "him", "her", "be", "on", "in", "of", "that", "this",
    };

    private readonly HashSet<RedactionCategory> _categories;
    private readonly bool _requireLuhn;
    private readonly List<string[]> _phrases;

    public TranscriptRedactor(IEnumerable<RedactionCategory> categories, IEnumerable<string> phrases, bool requireLuhn)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(phrases);
        _categories = [.. categories];
        _requireLuhn = requireLuhn;
        _phrases = phrases.Select(Tokens).Where(p => p.Length > 0).Distinct(new PhraseComparer()).ToList();
    }

    /// <summary>The redactor <paramref name="options"/> describe (phrases read from its file), or null when redaction is off.</summary>
    public static TranscriptRedactor? Create(RedactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled) return null;
        var phrases = new List<string>(options.Phrases);
        if (!string.IsNullOrEmpty(options.PhrasesPath))
            phrases.AddRange(File.ReadLines(options.PhrasesPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        return new TranscriptRedactor(options.Categories, phrases, options.RequireLuhn);
    }

    /// <summary>The categories written to <see cref="RedactionSummary.Categories"/>.</summary>
    public IReadOnlyList<string> CategoryNames =>
        [.. _categories.Order().Select(c => c.ToString().ToLowerInvariant()), .. _phrases.Count > 0 ? ["phrases"] : Array.Empty<string>()];

    /// <summary>The text that replaces a match in every output.</summary>
    public static string Placeholder(string label) => $"[REDACTED:{label}]";

    /// <summary>
    /// Matches in <paramref name="words"/> (in spoken order), non-overlapping and sorted. Where detectors disagree the
    /// stronger label wins per word (card, phone, e-mail, phrase, number); neighbouring words with one label form one match.
    /// </summary>
    public IReadOnlyList<RedactionMatch> Find(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var tokens = words.Select(Normalize).ToArray();
        var labels = new string?[tokens.Length];
        var ranks = new int[tokens.Length];

        void Mark(int first, int last, string label, int rank)
        {
            for (var i = first; i <= last; i++)
                if (labels[i] is null || rank < ranks[i]) { labels[i] = label; ranks[i] = rank; }
        }

        foreach (var (first, last, digits) in DigitRuns(tokens))
        {
            if (_categories.Contains(RedactionCategory.Card) && digits.Length is >= 13 and <= 19 && (!_requireLuhn || Luhn(digits))) Mark(first, last, Card, 0);
            else if (_categories.Contains(RedactionCategory.Phone) && digits.Length is >= 7 and <= 15) Mark(first, last, Phone, 1);
            else if (_categories.Contains(RedactionCategory.Numbers)) Mark(first, last, Number, 4);
        }
        if (_categories.Contains(RedactionCategory.Email))
            foreach (var (first, last) in EmailSpans(tokens)) Mark(first, last, Email, 2);
        foreach (var (first, last) in PhraseSpans(tokens)) Mark(first, last, Phrase, 3);

        var matches = new List<RedactionMatch>();
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] is not { } label) continue;
            var j = i;
            while (j + 1 < labels.Length && labels[j + 1] == label) j++;
            matches.Add(new RedactionMatch(i, j, label));
            i = j;
        }
        return matches;
    }

    /// <summary>Maximal runs of digit words; each with its first and last word index and the digits it spells.</summary>
    internal static IEnumerable<(int First, int Last, string Digits)> DigitRuns(IReadOnlyList<string> tokens)
    {
        var i = 0;
        while (i < tokens.Count)
        {
            var digits = new StringBuilder();
            var first = -1; var last = -1; var lastLength = 0;
            var j = i;
            while (j < tokens.Count)
            {
                var (value, used, weak) = DigitsAt(tokens, j, digits.Length > 0);
                if (value is null) break;
                if (!weak && first < 0) first = j;
                if (first >= 0)
                {
                    digits.Append(value);
                    if (!weak) { last = j + used - 1; lastLength = digits.Length; }
                }
                j += used;
            }
            if (first >= 0)
            {
                yield return (first, last, digits.ToString(0, lastLength)); // trailing weak zeros ("... nine oh") are not part of it
                i = last + 1;
            }
            else i = Math.Max(j, i + 1);
        }
    }

    /// <summary>The digits the word(s) at <paramref name="i"/> spell, how many words that takes, and whether it is a weak zero.</summary>
    private static (string? Digits, int Used, bool Weak) DigitsAt(IReadOnlyList<string> tokens, int i, bool inRun)
    {
        var t = tokens[i];
        if (t.Length > 0 && t.All(char.IsAsciiDigit)) return (t, 1, false);
        if (s_units.TryGetValue(t, out var unit)) return (unit.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, false);
        if (s_weakZeros.Contains(t)) return ("0", 1, true);
        if (s_teens.TryGetValue(t, out var teen)) return (teen.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, false);
        if (s_tens.TryGetValue(t, out var ten))
        {
            if (i + 1 < tokens.Count && s_units.TryGetValue(tokens[i + 1], out var u) && u > 0) return ($"{ten}{u}", 2, false);
            return ($"{ten}0", 1, false);
        }
        if (t is "double" or "triple" && i + 1 < tokens.Count && (s_units.TryGetValue(tokens[i + 1], out var repeated) || s_weakZeros.Contains(tokens[i + 1])))
            return (new string((char)('0' + (s_weakZeros.Contains(tokens[i + 1]) ? 0 : repeated)), t == "double" ? 2 : 3), 2, false);
        if (t == "hundred" && inRun) return ("00", 1, false);
        return (null, 0, false);
    }

    private static IEnumerable<(int First, int Last)> EmailSpans(string[] tokens)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i].Contains('@', StringComparison.Ordinal))
            {
                yield return (i, DomainEnd(tokens, i, requireDot: false));
                continue;
            }
            if (tokens[i] != "at" || i == 0 || !IsLocalPart(tokens[i - 1])) continue;
            var end = DomainEnd(tokens, i + 1, requireDot: true);
            if (end < 0) continue;
            var start = i - 1;
            while (start >= 2 && s_emailJoiners.Contains(tokens[start - 1]) && IsLocalPart(tokens[start - 2])) start -= 2;
            yield return (start, end);
            i = end;
        }
    }

    /// <summary>The last word of "name (dot name)*" from <paramref name="i"/> ending in a known top-level domain; -1 when there is none.</summary>
    private static int DomainEnd(string[] tokens, int i, bool requireDot)
    {
        if (i >= tokens.Length || !IsDomainLabel(tokens[i])) return requireDot ? -1 : i - 1;
        var end = i; var dots = 0;
        while (end + 2 < tokens.Length && tokens[end + 1] == "dot" && IsDomainLabel(tokens[end + 2])) { end += 2; dots++; }
        if (!requireDot) return end;
        return dots > 0 && s_topLevelDomains.Contains(tokens[end]) ? end : -1;
    }

    /// <summary>A domain label is any word but the spoken separators ("mail dot example dot com").</summary>
    private static bool IsDomainLabel(string token) => token is not ("dot" or "at") && token.Any(char.IsAsciiLetterOrDigit);

    private static bool IsLocalPart(string token) => token.Length > 0 && !s_notLocalPart.Contains(token) && token.Any(char.IsAsciiLetterOrDigit);

    private IEnumerable<(int First, int Last)> PhraseSpans(string[] tokens)
    {
        foreach (var phrase in _phrases)
            for (var i = 0; i + phrase.Length <= tokens.Length; i++)
                if (phrase.Select((p, k) => p == tokens[i + k]).All(x => x)) yield return (i, i + phrase.Length - 1);
    }

    /// <summary>The Luhn checksum of a card number (the last digit checks the others).</summary>
    internal static bool Luhn(string digits)
    {
        var sum = 0;
        for (var k = 0; k < digits.Length; k++)
        {
            var d = digits[digits.Length - 1 - k] - '0';
            if (k % 2 == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>Lower case, without surrounding punctuation (the '@' and inner apostrophes are kept).</summary>
    private static string Normalize(string word) => word.Trim().ToLowerInvariant().Trim('.', ',', '?', '!', ';', ':', '"', '(', ')', '-', '\'');

    private static string[] Tokens(string phrase) =>
        phrase.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Normalize).Where(t => t.Length > 0).ToArray();

    private sealed class PhraseComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y, StringComparer.Ordinal);
        public int GetHashCode(string[] obj) => string.Join(' ', obj).GetHashCode(StringComparison.Ordinal);
    }
}
