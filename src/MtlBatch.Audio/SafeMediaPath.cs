namespace MtlBatch.Audio;

/// <summary>
/// A path that is safe to put inside ffmpeg's quoted command line. FFMpegCore passes arguments as one string, so a
/// file name containing a double quote or backslash could end the quoted path and inject options. Such paths (and
/// names with control characters) are reached through a temporary symbolic link with a plain name instead.
/// </summary>
internal sealed class SafeMediaPath : IDisposable
{
    private readonly string? _link;

    private SafeMediaPath(string path, string? link)
    {
        Path = path;
        _link = link;
    }

    public string Path { get; }

    public static SafeMediaPath For(string fullPath, string? tempFolder)
    {
        if (!NeedsLink(fullPath)) return new SafeMediaPath(fullPath, null);
        var folder = tempFolder ?? System.IO.Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var link = System.IO.Path.Combine(folder, $"mtlbatch-media-{Guid.NewGuid():N}{SafeExtension(fullPath)}");
        File.CreateSymbolicLink(link, fullPath);
        return new SafeMediaPath(link, link);
    }

    internal static bool NeedsLink(string path) => path.Any(c => c is '"' or '\\' or '`' or '$' || char.IsControl(c));

    /// <summary>The extension if it is short and alphanumeric (ffmpeg uses it as a probing hint), otherwise none.</summary>
    internal static string SafeExtension(string name)
    {
        var ext = System.IO.Path.GetExtension(name);
        return ext.Length is > 1 and <= 10 && ext.Skip(1).All(char.IsAsciiLetterOrDigit) ? ext.ToLowerInvariant() : "";
    }

    public void Dispose()
    {
        if (_link is null) return;
        try { File.Delete(_link); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
