using System.Text;

namespace MtlBatch.Audio;

/// <summary>Naming rules shared by folder walks and archive expansion (see docs/audio.md, "Inputs").</summary>
public static class InputNames
{
    private static readonly string[] ArchiveExtensions = [".tar.gz", ".tgz", ".zip", ".tar"];
    private static readonly HashSet<string> JunkNames = new(StringComparer.OrdinalIgnoreCase) { "__MACOSX", "Thumbs.db", "desktop.ini" };

    /// <summary>True for names ending in .zip, .tar, .tar.gz or .tgz (case-insensitive).</summary>
    public static bool IsArchiveName(string name) => ArchiveExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>The name without its archive extension: <c>uploads/batch1.tar.gz</c> → <c>uploads/batch1</c>.</summary>
    public static string StripArchiveExtension(string name)
    {
        var ext = ArchiveExtensions.FirstOrDefault(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        return ext is null ? name : name[..^ext.Length];
    }

    /// <summary>
    /// Path segments that are skipped silently: hidden names (starting with '.', e.g. .DS_Store, .git, ._x AppleDouble
    /// files) and OS junk (__MACOSX, Thumbs.db, desktop.ini). Everything else is yielded, so non-audio files end in a
    /// clear unsupported-media error instead of vanishing.
    /// </summary>
    public static bool IsSkipped(string segment) => segment.StartsWith('.') || JunkNames.Contains(segment);

    /// <summary>
    /// Normalises an archive entry name to '/'-separated segments: backslashes become '/', empty and "." segments are
    /// dropped. Returns null (unsafe) for ".." segments, absolute names, drive letters, control characters or names
    /// longer than <paramref name="maxLength"/>.
    /// </summary>
    public static string? NormalizeEntryName(string raw, int maxLength)
    {
        if (string.IsNullOrEmpty(raw) || raw.Length > maxLength) return null;
        if (raw.Any(char.IsControl)) return null;
        var unified = raw.Replace('\\', '/');
        if (unified.StartsWith('/')) return null;
        if (unified.Length >= 2 && unified[1] == ':' && char.IsAsciiLetter(unified[0])) return null;
        var segments = unified.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        if (segments.Count == 0 || segments.Any(s => s == ".." || s.Contains(':'))) return null;
        return string.Join('/', segments);
    }

    /// <summary>A harmless rendering of an unsafe entry name, used as the RelativeName of its error record.</summary>
    public static string Defang(string raw)
    {
        var sb = new StringBuilder();
        foreach (var c in raw.Replace('\\', '/')) sb.Append(char.IsControl(c) || c == ':' ? '_' : c);
        var segments = sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s != ".").Select(s => s == ".." ? "__" : s);
        var joined = string.Join('/', segments);
        if (joined.Length == 0) joined = "_";
        return joined.Length <= 200 ? joined : joined[..200];
    }
}
