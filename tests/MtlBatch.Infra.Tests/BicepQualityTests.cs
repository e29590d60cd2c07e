namespace MtlBatch.Infra.Tests;

/// <summary>The Bicep compiles and lints with zero diagnostics of any level, main template and every module.</summary>
[Collection(InfraCollection.Name)]
public sealed class BicepQualityTests(CompiledInfra infra)
{
    [Fact]
    public void The_infra_folder_has_main_and_its_modules()
    {
        Assert.Contains("main.bicep", infra.BicepFiles);
        Assert.Contains("modules/storage.bicep", infra.BicepFiles);
        Assert.Contains("modules/intakeFunction.bicep", infra.BicepFiles);
        Assert.Contains("modules/inference.bicep", infra.BicepFiles);
    }

    [Fact]
    public void Every_bicep_file_builds_without_warnings_or_errors()
    {
        Assert.True(infra.Build.ExitCode == 0, $"bicep build failed:\n{infra.Build.StandardError}");
        // bicep prints every diagnostic (warnings included) on stderr.
        Assert.True(string.IsNullOrWhiteSpace(infra.Build.StandardError), $"bicep build diagnostics:\n{infra.Build.StandardError}");
        var missing = infra.CompiledJson.Where(kv => kv.Value is null).Select(kv => kv.Key).ToArray();
        Assert.True(missing.Length == 0, "not compiled: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_bicep_file_lints_clean_with_every_rule_enabled()
    {
        Assert.True(infra.Lint.ExitCode == 0, $"bicep lint failed:\n{infra.Lint.StandardError}");
        Assert.True(string.IsNullOrWhiteSpace(infra.Lint.StandardError), infra.Lint.StandardError);
        var diagnostics = infra.LintDiagnostics(out var documents);
        // One SARIF document per linted file proves the glob reached every file.
        Assert.Equal(infra.BicepFiles.Count, documents);
        Assert.True(diagnostics.Count == 0, "bicep lint diagnostics:\n" + string.Join("\n", diagnostics));
    }

    [Fact]
    public void Bicepconfig_turns_no_rule_off()
    {
        var config = File.ReadAllText(Path.Combine(RepositoryLayout.Infra, "bicepconfig.json"));
        Assert.DoesNotContain("\"off\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain("\"info\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain("\"enabled\": false", config, StringComparison.Ordinal);
    }
}
