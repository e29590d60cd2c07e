using System.Text.Json;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// Runs the real bicep once for the whole test run: <c>bicep build</c> of every .bicep file under infra/ (main and
/// each module on its own) and <c>bicep lint</c> of the same files, then loads the compiled main template.
/// </summary>
public sealed class CompiledInfra : IAsyncLifetime
{
    private static readonly TimeSpan BicepTimeout = TimeSpan.FromMinutes(3);
    private readonly string _outputFolder = Path.Combine(Path.GetTempPath(), "mtlbatch-bicep-" + Guid.NewGuid().ToString("N"));

    internal IReadOnlyList<string> BicepFiles { get; private set; } = [];
    internal BicepCli.Result Build { get; private set; } = new(-1, "", "");
    internal BicepCli.Result Lint { get; private set; } = new(-1, "", "");
    /// <summary>Compiled template per .bicep file, keyed by path relative to infra/ (e.g. "modules/storage.bicep").</summary>
    internal IReadOnlyDictionary<string, string?> CompiledJson { get; private set; } = new Dictionary<string, string?>();
    internal ArmTemplate Main { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(BicepTimeout);
        var infra = RepositoryLayout.Infra;
        BicepFiles = RepositoryLayout.BicepFiles().Select(f => Path.GetRelativePath(infra, f).Replace('\\', '/')).ToArray();

        Directory.CreateDirectory(_outputFolder);
        // Both run over a glob so one bicep process covers every file (each start costs ~1 s of a 2-core CI machine).
        Build = await BicepCli.RunAsync(["build", "--pattern", "**/*.bicep", "--outdir", _outputFolder], infra, timeout.Token).ConfigureAwait(false);
        Lint = await BicepCli.RunAsync(["lint", "--pattern", "**/*.bicep", "--diagnostics-format", "sarif"], infra, timeout.Token).ConfigureAwait(false);

        CompiledJson = BicepFiles.ToDictionary(f => f, f =>
        {
            var json = Path.Combine(_outputFolder, Path.ChangeExtension(f, ".json"));
            return File.Exists(json) ? File.ReadAllText(json) : null;
        });
        if (CompiledJson.GetValueOrDefault("main.bicep") is { } main) Main = ArmTemplate.Load(main);
    }

    /// <summary>Every diagnostic in the SARIF documents bicep lint printed (one document per file).</summary>
    internal IReadOnlyList<string> LintDiagnostics(out int documents)
    {
        var diagnostics = new List<string>();
        documents = 0;
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(Lint.StandardOutput), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var document = JsonDocument.ParseValue(ref reader);
            documents++;
            foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
                foreach (var result in run.GetProperty("results").EnumerateArray())
                    diagnostics.Add(result.GetRawText());
        }
        return diagnostics;
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_outputFolder)) Directory.Delete(_outputFolder, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class InfraCollection : ICollectionFixture<CompiledInfra>
{
    public const string Name = "compiled infra";
}
