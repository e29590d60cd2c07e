namespace MtlBatch.Reports;

/// <summary>
/// Colour-blind-safe colours. Speakers use the Okabe–Ito palette, emotions Paul Tol's "light" palette (dark text
/// stays readable on every entry). Colour is never the only cue: every lane and band carries a text label too.
/// </summary>
public static class Palette
{
    public static IReadOnlyList<string> Speakers { get; } =
        ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

    private static readonly string[] s_emotionFallback =
        ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00"];

    private static readonly Dictionary<string, string> s_knownEmotions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["neutral"] = "#DDDDDD",
        ["calm"] = "#99DDFF",
        ["happy"] = "#EEDD88",
        ["sad"] = "#77AADD",
        ["angry"] = "#EE8866",
        ["fearful"] = "#44BB99",
        ["fear"] = "#44BB99",
        ["surprised"] = "#FFAABB",
        ["surprise"] = "#FFAABB",
        ["disgust"] = "#BBCC33",
    };

    /// <summary>Text colour that reads on a speaker colour (white on the dark ones).</summary>
    public static string SpeakerText(int index) => Speakers[index % Speakers.Count] is "#0072B2" or "#D55E00" or "#000000" or "#009E73" ? "#FFFFFF" : "#000000";

    public static string Speaker(int index) => Speakers[index % Speakers.Count];

    /// <summary>A colour per emotion label: fixed for the common labels, then unused palette entries in label order.</summary>
    public static IReadOnlyDictionary<string, string> Emotions(IEnumerable<string> labels)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var pending = new List<string>();
        foreach (var label in labels.Distinct(StringComparer.Ordinal))
        {
            if (s_knownEmotions.TryGetValue(label, out var c) && used.Add(c)) map[label] = c;
            else pending.Add(label);
        }
        int next = 0;
        foreach (var label in pending)
        {
            var free = s_emotionFallback.FirstOrDefault(c => !used.Contains(c));
            var colour = free ?? s_emotionFallback[next++ % s_emotionFallback.Length];
            used.Add(colour);
            map[label] = colour;
        }
        return map;
    }
}
