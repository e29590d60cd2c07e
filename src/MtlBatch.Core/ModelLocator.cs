namespace MtlBatch.Core;

/// <summary>Finds the bundled model when no path is configured.</summary>
public static class ModelLocator
{
    public const string DefaultModelRelativePath = "models/mtl-small.onnx";

    /// <summary>
    /// Looks for <see cref="DefaultModelRelativePath"/> next to the executable, then in the current directory and each
    /// of its parents (so it works from the repository, from bin/ and from a published folder).
    /// </summary>
    public static string FindDefault()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultModelRelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException($"No model given and {DefaultModelRelativePath} was not found next to the program or above the current directory.");
    }
}
