namespace MtlBatch.Evaluation;

/// <summary>
/// One grouping of the utterances: a manifest field (or a pseudo-field), either by its values or by named ranges of them.
/// Syntax: <c>field</c>, or <c>field:name=lo..hi;name=lo..hi</c> (ordinal string ranges, inclusive, e.g.
/// <c>utterance:keywords=001..005;spontaneous=006..010</c>); a value in no range is <c>(other)</c>.
/// </summary>
public sealed record GroupSpec(string Field, IReadOnlyList<(string Name, string Low, string High)> Ranges)
{
    public const string Other = "(other)";

    /// <summary>The group's name in the report: the field, or the field with its range names.</summary>
    public string Name => Ranges.Count == 0 ? Field : $"{Field}:{string.Join('/', Ranges.Select(r => r.Name))}";

    public static GroupSpec Parse(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return new GroupSpec(spec.Trim(), []);
        var ranges = spec[(colon + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r =>
        {
            var eq = r.IndexOf('=', StringComparison.Ordinal);
            var bounds = eq < 0 ? [] : r[(eq + 1)..].Split("..");
            if (eq <= 0 || bounds.Length != 2) throw new FormatException($"Group range '{r}' in '{spec}': expected name=low..high.");
            return (r[..eq].Trim(), bounds[0].Trim(), bounds[1].Trim());
        }).ToArray();
        if (ranges.Length == 0) throw new FormatException($"Group '{spec}' names no range.");
        return new GroupSpec(spec[..colon].Trim(), ranges);
    }

    /// <summary>The group of one value of the field.</summary>
    public string Classify(string value)
    {
        if (Ranges.Count == 0) return value;
        foreach (var (name, low, high) in Ranges)
            if (string.CompareOrdinal(value, low) >= 0 && string.CompareOrdinal(value, high) <= 0) return name;
        return Other;
    }
}
