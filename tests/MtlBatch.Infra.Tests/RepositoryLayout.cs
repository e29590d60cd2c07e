namespace MtlBatch.Infra.Tests;

/// <summary>Paths in the repository checkout the tests run from.</summary>
internal static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();
    public static string Infra => Path.Combine(Root, "infra");
    public static string MainBicep => Path.Combine(Infra, "main.bicep");
    public static string Dockerfile => Path.Combine(Root, "Dockerfile");
    public static string FunctionsSource => Path.Combine(Root, "src", "MtlBatch.Functions");

    public static IReadOnlyList<string> BicepFiles() =>
        Directory.GetFiles(Infra, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MtlBatch.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"MtlBatch.sln not found above {AppContext.BaseDirectory}");
    }
}
