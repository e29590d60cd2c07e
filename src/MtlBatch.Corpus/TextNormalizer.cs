using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MtlBatch.Corpus;

/// <summary>
/// Normalises text to the model's character set (lowercase a-z, apostrophe and single spaces), first writing out
/// what people say for numbers, money, percentages, times, dates, ordinals, phone numbers, units and common
/// abbreviations (<see cref="Verbalize"/>). The synthesisers are given the normalised text, so audio and label agree.
/// </summary>
public static partial class TextNormalizer
{
    /// <summary>The character vocabulary in model order; index 0 is the CTC blank.</summary>
    public static readonly IReadOnlyList<string> Characters =
        ["<blank>", " ", "'", .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())];

    private static readonly string[] Ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    private static readonly (long Value, string Name)[] Scales = [(1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")];
    private static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mr."] = "mister", ["mrs."] = "missus", ["ms."] = "miz", ["prof."] = "professor", ["jr."] = "junior", ["sr."] = "senior",
        ["vs."] = "versus", ["vs"] = "versus", ["etc."] = "et cetera", ["e.g."] = "for example", ["i.e."] = "that is",
        ["approx."] = "approximately", ["ave."] = "avenue", ["rd."] = "road", ["blvd."] = "boulevard", ["mt."] = "mount",
        ["dept."] = "department", ["corp."] = "corporation", ["ok"] = "okay", ["mrs"] = "missus", ["mr"] = "mister",
    };

    private static readonly Dictionary<string, string> Units = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mg"] = "milligrams", ["kg"] = "kilograms", ["km"] = "kilometers", ["lb"] = "pounds", ["lbs"] = "pounds", ["cm"] = "centimeters",
        ["mm"] = "millimeters", ["ml"] = "milliliters", ["mph"] = "miles per hour"
    };

    /// <summary>Spells out a non-negative integer the way the synthesisers read it ("three hundred and ten").</summary>
    public static string SpellNumber(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n < 20) return Ones[n];
        if (n < 100) return Tens[n / 10] + (n % 10 == 0 ? "" : " " + Ones[n % 10]);
        if (n < 1000) return Ones[n / 100] + " hundred" + (n % 100 == 0 ? "" : " and " + SpellNumber(n % 100));
        foreach (var (value, name) in Scales)
        {
            if (n < value) continue;
            if (n / value >= 1000) throw new ArgumentOutOfRangeException(nameof(n), n, "supported below one thousand trillion");
            return SpellNumber(n / value) + " " + name + (n % value == 0 ? "" : " " + SpellNumber(n % value));
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>"first", "twenty second", "one hundredth".</summary>
    public static string SpellOrdinal(long n)
    {
        var words = SpellNumber(n);
        var cut = words.LastIndexOf(' ') + 1;
        var last = words[cut..];
        var ordinal = last switch
        {
            "one" => "first", "two" => "second", "three" => "third", "five" => "fifth", "eight" => "eighth", "nine" => "ninth",
            "twelve" => "twelfth", _ when last.EndsWith('y') => last[..^1] + "ieth", _ => last + "th",
        };
        return words[..cut] + ordinal;
    }

    /// <summary>A year as spoken: "nineteen ninety nine", "nineteen oh five", "two thousand five", "twenty twenty four".</summary>
    public static string SpellYear(int year)
    {
        if (year is < 1100 or > 2099 || year is >= 2000 and < 2010) return SpellNumber(year);
        var (hi, lo) = (year / 100, year % 100);
        return SpellNumber(hi) + " " + (lo == 0 ? "hundred" : lo < 10 ? "oh " + Ones[lo] : SpellNumber(lo));
    }

    private static string Digits(string digits) => string.Join(' ', digits.Where(char.IsAsciiDigit).Select(d => Ones[d - '0']));

    private static string Decimal(string number)
    {
        var dot = number.IndexOf('.');
        return dot < 0 ? Cardinal(number) : Cardinal(number[..dot]) + " point " + Digits(number[(dot + 1)..]);
    }

    /// <summary>Digits as a cardinal, or digit by digit when it has a leading zero or is very long (codes, accounts).</summary>
    private static string Cardinal(string digits) =>
        digits.Length == 0 ? "" : (digits.Length > 1 && digits[0] == '0') || digits.Length > 15 ? Digits(digits) : SpellNumber(long.Parse(digits, CultureInfo.InvariantCulture));

    private static string Currency(string symbol, string plural) => symbol switch
    {
        "$" => plural == "s" ? "dollars" : "dollar", "£" => plural == "s" ? "pounds" : "pound", "€" => plural == "s" ? "euros" : "euro",
        _ => throw new ArgumentOutOfRangeException(nameof(symbol), symbol, "unknown currency"),
    };

    private static string Money(Match m)
    {
        var symbol = m.Groups["cur"].Value;
        var amount = m.Groups["amount"].Value;
        var scale = m.Groups["scale"].Value.ToLowerInvariant();
        if (scale.Length > 0)
        {
            var scaleWord = scale switch { "k" => "thousand", "m" or "mm" => "million", "bn" or "b" => "billion", _ => scale };
            return $" {Decimal(amount)} {scaleWord} {Currency(symbol, "s")} ";
        }
        var dot = amount.IndexOf('.');
        var whole = dot < 0 ? amount : amount[..dot];
        var fraction = dot < 0 ? "" : amount[(dot + 1)..];
        if (fraction.Length > 2) return $" {Decimal(amount)} {Currency(symbol, "s")} ";
        var cents = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(2, '0'), CultureInfo.InvariantCulture);
        var units = whole.Length == 0 ? 0 : long.Parse(whole, CultureInfo.InvariantCulture);
        var centWord = symbol == "$" ? (cents == 1 ? "cent" : "cents") : (cents == 1 ? "penny" : symbol == "£" ? "pence" : "cents");
        var main = $"{SpellNumber(units)} {Currency(symbol, units == 1 ? "" : "s")}";
        if (cents == 0) return $" {main} ";
        return units == 0 ? $" {SpellNumber(cents)} {centWord} " : $" {main} and {SpellNumber(cents)} {centWord} ";
    }

    private static string Time(Match m)
    {
        var hour = int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture);
        var minute = m.Groups["m"].Success ? int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
        var meridiem = m.Groups["ap"].Success ? (char.ToLowerInvariant(m.Groups["ap"].Value[0]) == 'a' ? " a m" : " p m") : "";
        var minutes = minute == 0 ? (meridiem.Length > 0 || !m.Groups["m"].Success ? "" : " o'clock") : minute < 10 ? " oh " + Ones[minute] : " " + SpellNumber(minute);
        return $" {SpellNumber(hour)}{minutes}{meridiem} ";
    }

    private static int MonthIndex(string name) => Array.FindIndex(Months, mo => mo.StartsWith(name.TrimEnd('.').ToLowerInvariant(), StringComparison.Ordinal));

    /// <summary>
    /// Writes out numbers, money ($12.50, £3, €1.2m), percentages, times (3:30 pm, 9am), dates (March 3rd, 2024;
    /// 3/14/2024; 2024-03-14; the 3rd of March), ordinals, decades, years, phone numbers, ranges, units after a number
    /// and abbreviations (Dr., Mr., St., e.g., etc.) as words. Everything else is left for <see cref="Normalize"/>.
    /// </summary>
    public static string Verbalize(string text)
    {
        var s = text.Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u00a0', ' ').Replace("&", " and ", StringComparison.Ordinal);
        s = ThousandsSeparator().Replace(s, "");
        s = Honorific().Replace(s, m => m.Groups["dr"].Success ? "doctor " : m.Groups["pre"].Success ? m.Groups["pre"].Value + " street" : "saint ");
        s = Street().Replace(s, m => m.Groups["pre"].Value + (m.Groups["w"].Value.Equals("dr", StringComparison.OrdinalIgnoreCase) ? " drive" : " street"));
        s = AbbreviationWord().Replace(s, m => Abbreviations.TryGetValue(m.Value, out var w) ? w : m.Value);
        s = NumberSign().Replace(s, m => " number " + m.Groups["n"].Value);
        s = Money().Replace(s, Money);
        s = Unit().Replace(s, m => $"{m.Groups["n"].Value} {Units[m.Groups["u"].Value]}");
        s = Percent().Replace(s, m => $" {Decimal(m.Groups["n"].Value)} percent ");
        s = ClockTime().Replace(s, Time);
        s = HourMeridiem().Replace(s, Time);
        s = NumericDate().Replace(s, m =>
        {
            var (month, day) = (int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture));
            if (month is < 1 or > 12 || day is < 1 or > 31) return m.Value;
            var y = m.Groups["y"].Value;
            var year = y.Length == 2 ? 2000 + int.Parse(y, CultureInfo.InvariantCulture) : int.Parse(y, CultureInfo.InvariantCulture);
            return $" {Months[month - 1]} {SpellOrdinal(day)} {SpellYear(year)} ";
        });
        s = IsoDate().Replace(s, m =>
        {
            var (month, day) = (int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture));
            if (month is < 1 or > 12 || day is < 1 or > 31) return m.Value;
            return $" {Months[month - 1]} {SpellOrdinal(day)} {SpellYear(int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture))} ";
        });
        s = MonthDay().Replace(s, m => $" {Months[MonthIndex(m.Groups["mo"].Value)]} {SpellOrdinal(int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture))} ");
        s = DayOfMonth().Replace(s, m => $" {SpellOrdinal(int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture))} of {Months[MonthIndex(m.Groups["mo"].Value)]} ");
        s = Ordinal().Replace(s, m => " " + SpellOrdinal(long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)) + " ");
        s = Decade().Replace(s, m =>
        {
            var y = SpellYear(int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture));
            return " " + (y.EndsWith('y') ? y[..^1] + "ies" : y + "s") + " ";
        });
        s = Phone().Replace(s, m => " " + string.Join(' ', m.Value.Split(['-', ' ', '(', ')', '.'], StringSplitOptions.RemoveEmptyEntries).Select(Digits)) + " ");
        s = Year().Replace(s, m => " " + SpellYear(int.Parse(m.Value, CultureInfo.InvariantCulture)) + " ");
        s = Range().Replace(s, m => $" {Cardinal(m.Groups["a"].Value)} to {Cardinal(m.Groups["b"].Value)} ");
        s = DecimalNumber().Replace(s, m => " " + Decimal(m.Value) + " ");
        s = Negative().Replace(s, m => " minus " + m.Groups["n"].Value);
        s = Integer().Replace(s, m => " " + Cardinal(m.Value) + " ");
        s = s.Replace("°", " degrees ", StringComparison.Ordinal).Replace("+", " plus ", StringComparison.Ordinal);
        return s;
    }

    /// <summary>
    /// Returns the normalised text, or null when the text holds something a synthesiser would read in a way
    /// the characters cannot represent (symbols, unknown abbreviations, initials): such sentences are dropped, not guessed.
    /// </summary>
    public static string? Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in Verbalize(text))
        {
            var c = raw switch { '\u2019' or '\u2018' or '`' => '\'', _ => char.ToLowerInvariant(raw) };
            if (c is >= 'a' and <= 'z' or '\'') sb.Append(c);
            else if (char.IsWhiteSpace(c) || c is '-' or '\u2014' or '\u2013') sb.Append(' ');
            else if (c is '.' or ',' or '!' or '?' or ';' or ':' or '"' or '(' or ')' or '\u201c' or '\u201d' or '\u2026') sb.Append(' ');
            else return null;
        }
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('\''))
            .Where(w => w.Length > 0)
            .ToArray();
        if (words.Length == 0) return null;
        // Single letters other than "a" and "i" are usually initials or abbreviations read as letter names; the
        // verbaliser's own "a m" / "p m" are the exception.
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Length != 1 || words[i] is "a" or "i") continue;
            var meridiem = (words[i] == "p" && i + 1 < words.Length && words[i + 1] == "m") || (words[i] == "m" && i > 0 && words[i - 1] is "a" or "p");
            if (!meridiem) return null;
        }
        return string.Join(' ', words);
    }

    [GeneratedRegex(@"(?<=\d),(?=\d{3}(?!\d))")]
    private static partial Regex ThousandsSeparator();

    // "Dr. Smith" is a doctor; "St. Louis" a saint unless a name or number comes first ("Main St. Louis" stays a street).
    [GeneratedRegex(@"(?<dr>\bDr\.?)(?=\s+[A-Z])|(?<pre>\b(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th)?))\s+St\.?(?=\s+[A-Z])|\bSt\.(?=\s+[A-Z])")]
    private static partial Regex Honorific();

    [GeneratedRegex(@"(?<pre>\b(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th)?))\s+(?<w>St|Dr)\b\.?")]
    private static partial Regex Street();

    [GeneratedRegex(@"(?<![\w.])(?:mrs?|ms|prof|jr|sr|vs|etc|approx|ave|rd|blvd|mt|dept|corp)\.|(?<![\w.])(?:e\.g\.|i\.e\.)|\b(?:vs|OK|ok|Ok|Mrs|Mr)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AbbreviationWord();

    [GeneratedRegex(@"(?:#|\bNo\.)\s?(?<n>\d+)")]
    private static partial Regex NumberSign();

    [GeneratedRegex(@"(?<cur>[$£€])\s?(?<amount>\d+(?:\.\d+)?|\.\d+)(?:\s?(?<scale>thousand|million|billion|trillion|bn|mm|[kmb])\b)?", RegexOptions.IgnoreCase)]
    private static partial Regex Money();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)")]
    private static partial Regex Percent();

    [GeneratedRegex(@"\b(?<h>[01]?\d|2[0-3]):(?<m>[0-5]\d)(?:\s?(?<ap>[ap])\.?m\b\.?)?", RegexOptions.IgnoreCase)]
    private static partial Regex ClockTime();

    [GeneratedRegex(@"\b(?<h>1[0-2]|0?[1-9])\s?(?<ap>[ap])\.?m\b\.?", RegexOptions.IgnoreCase)]
    private static partial Regex HourMeridiem();

    [GeneratedRegex(@"\b(?<mo>\d{1,2})/(?<d>\d{1,2})/(?<y>\d{4}|\d{2})\b")]
    private static partial Regex NumericDate();

    [GeneratedRegex(@"\b(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})\b")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b(?<mo>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?:the\s+)?(?<d>[12]?\d|3[01])(?:st|nd|rd|th)?\b(?!\s?(?:[:%]|[ap]\.?m\b))", RegexOptions.IgnoreCase)]
    private static partial Regex MonthDay();

    [GeneratedRegex(@"\b(?<d>[12]?\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?(?<mo>january|february|march|april|may|june|july|august|september|october|november|december)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DayOfMonth();

    [GeneratedRegex(@"\b(?<n>\d+)(?:st|nd|rd|th)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Ordinal();

    [GeneratedRegex(@"\b(?<y>1[1-9]\d0|20\d0)'?s\b")]
    private static partial Regex Decade();

    [GeneratedRegex(@"(?:\(\d{3}\)\s?|\b\d{3}[-.])\d{3}[-.]\d{4}\b|\b\d{3}-\d{4}\b")]
    private static partial Regex Phone();

    [GeneratedRegex(@"\b(?<a>\d+)\s?(?:-|\u2013|to)\s?(?<b>\d+)\b")]
    private static partial Regex Range();

    [GeneratedRegex(@"(?<!\d|\d\.)(?:19\d\d|20[1-9]\d)(?!\d|\.\d)")]
    private static partial Regex Year();

    [GeneratedRegex(@"(?<n>\d)\s?(?<u>mg|kg|km|lbs?|cm|mm|ml|mph)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Unit();

    [GeneratedRegex(@"\d*\.\d+")]
    private static partial Regex DecimalNumber();

    [GeneratedRegex(@"(?<![\w])-(?<n>\d)")]
    private static partial Regex Negative();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Integer();
}
