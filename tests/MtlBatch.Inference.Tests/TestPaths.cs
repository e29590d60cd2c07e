namespace MtlBatch.Inference.Tests;

internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (MtlBatch.sln) not found above " + AppContext.BaseDirectory);
    }

    public static string DevModel => Path.Combine(RepoRoot, "models/dev/mtl-untrained.onnx");
    public static string DevParity => Path.Combine(RepoRoot, "models/dev/mtl-untrained.parity.json");
    public static string ShippedModel => Path.Combine(RepoRoot, "models/mtl-small.onnx");

    /// <summary>The trained model when it is committed, else the untrained dev model (same contract) for structural tests.</summary>
    public static string AnyModel => File.Exists(ShippedModel) ? ShippedModel : DevModel;

    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
