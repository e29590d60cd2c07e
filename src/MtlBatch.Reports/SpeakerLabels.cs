using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>
/// What captions and the report call each speaker: the enrolled voice it matched (speakerName, "Dana"), else its role
/// ("Agent"), else its id ("S1", "ch2"). A name beats a role: it says who, the role only which side.
/// </summary>
internal static class SpeakerLabels
{
    public static IReadOnlyDictionary<string, string> For(AnalysisResult result)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in result.Speakers) labels[s.Id] = Display(s.Id, s.Role);
        foreach (var t in result.Turns) if (!labels.ContainsKey(t.Speaker) || t.Role is not null && labels[t.Speaker] == t.Speaker) labels[t.Speaker] = Display(t.Speaker, t.Role);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in result.Speakers) if (!string.IsNullOrWhiteSpace(s.SpeakerName)) names.TryAdd(s.Id, s.SpeakerName);
        foreach (var t in result.Turns) if (!string.IsNullOrWhiteSpace(t.SpeakerName)) names.TryAdd(t.Speaker, t.SpeakerName);
        foreach (var (id, name) in names) labels[id] = name;
        return labels;
    }

    /// <summary>"agent" -> "Agent"; no role -> the id.</summary>
    public static string Display(string id, string? role) =>
        string.IsNullOrEmpty(role) ? id : char.ToUpperInvariant(role[0]) + role[1..];

    public static string Of(this IReadOnlyDictionary<string, string> labels, string id) => labels.TryGetValue(id, out var label) ? label : id;
}
