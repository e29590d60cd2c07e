using System.Text;

namespace MtlBatch.Evaluation;

/// <summary>
/// The one normalisation every transcript is scored with (reference, model hypothesis and peer hypothesis alike):
/// lowercase a-z, apostrophe and single spaces; any other character separates words; apostrophes at word edges are dropped.
/// </summary>
public static class ScoringText
{
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            var c = raw is '\u2019' or '\u2018' or '`' ? '\'' : char.ToLowerInvariant(raw);
            sb.Append(c is >= 'a' and <= 'z' or '\'' ? c : ' ');
        }
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('\'')).Where(w => w.Length > 0));
    }

    public static int WordCount(string normalized) => normalized.Length == 0 ? 0 : normalized.Count(c => c == ' ') + 1;
}
