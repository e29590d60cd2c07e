namespace MtlBatch.Testing;

/// <summary>Where things are in the repository the tests run from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root (MtlBatch.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The shipped model, else the untrained dev model with the same contract.</summary>
    public static string Model { get; } = new[] { "models/mtl-small.onnx", "models/dev/mtl-untrained.onnx" }
        .Select(p => Path.Combine(Root, p)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("Neither models/mtl-small.onnx nor models/dev/mtl-untrained.onnx exists.");

    public static bool TrainedModel => Model.EndsWith("mtl-small.onnx", StringComparison.Ordinal);

    /// <summary>The built CLI (copied next to the tests as a referenced project).</summary>
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "mtlbatch.dll");

    public static string NewTempFolder(string prefix) => Directory.CreateTempSubdirectory(prefix + "-").FullName;
}
