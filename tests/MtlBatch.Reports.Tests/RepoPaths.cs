namespace MtlBatch.Reports.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root (the folder holding MtlBatch.sln), found from the test binaries upwards.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("MtlBatch.sln not found above " + AppContext.BaseDirectory);
    }

    public static string SchemaDir => Path.Combine(Root, "docs", "schema");
}

/// <summary>A temporary folder removed when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mtlbatch-reports-" + Guid.NewGuid().ToString("N"));
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
