using System.Text;

namespace MtlBatch.Corpus;

/// <summary>Normalises text to the model's character set: lowercase a-z, apostrophe and single spaces.</summary>
public static class TextNormalizer
{
    /// <summary>The character vocabulary in model order; index 0 is the CTC blank.</summary>
    public static readonly IReadOnlyList<string> Characters =
        ["<blank>", " ", "'", .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())];

    private static readonly string[] Ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    /// <summary>Spells out 0..999999 the way the synthesisers read them.</summary>
    public static string SpellNumber(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n < 20) return Ones[n];
        if (n < 100) return Tens[n / 10] + (n % 10 == 0 ? "" : " " + Ones[n % 10]);
        if (n < 1000) return Ones[n / 100] + " hundred" + (n % 100 == 0 ? "" : " and " + SpellNumber(n % 100));
        if (n < 1_000_000) return SpellNumber(n / 1000) + " thousand" + (n % 1000 == 0 ? "" : " " + SpellNumber(n % 1000));
        throw new ArgumentOutOfRangeException(nameof(n), n, "supported up to 999999");
    }

    /// <summary>
    /// Returns the normalised text, or null when the text holds something a synthesiser would read in a way
    /// the characters cannot represent (digits, symbols, abbreviations): such sentences are dropped, not guessed.
    /// </summary>
    public static string? Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            var c = raw switch { '\u2019' or '\u2018' or '`' => '\'', _ => char.ToLowerInvariant(raw) };
            if (c is >= 'a' and <= 'z' or '\'') sb.Append(c);
            else if (char.IsWhiteSpace(c) || c is '-' or '\u2014' or '\u2013') sb.Append(' ');
            else if (c is '.' or ',' or '!' or '?' or ';' or ':' or '"' or '(' or ')') sb.Append(' ');
            else return null;
        }
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('\''))
            .Where(w => w.Length > 0)
            .ToArray();
        if (words.Length == 0) return null;
        // Single letters other than "a" and "i" are usually initials or abbreviations read as letter names.
        if (words.Any(w => w.Length == 1 && w is not ("a" or "i"))) return null;
        return string.Join(' ', words);
    }
}
