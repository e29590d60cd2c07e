using MtlBatch.Core;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// Every app setting in the Bicep is either a documented host setting or Section__Property of an options class in
/// the code (checked by reflection), and each function runs in exactly one of the two apps.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class AppSettingsTests(CompiledInfra infra)
{
    private const string Intake = "intake";
    private const string Inference = "inference";

    private IReadOnlyList<AppSettings.Setting> Settings => AppSettings.All(infra.Main);

    [Fact]
    public void Both_apps_receive_their_settings_from_main()
    {
        var modules = Settings.GroupBy(s => s.Module).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([Inference, Intake], modules.Keys.Order(StringComparer.Ordinal));
        Assert.All(modules.Values, count => Assert.True(count >= 10, $"only {count} settings"));
    }

    [Fact]
    public void Every_setting_is_a_host_setting_or_binds_to_an_options_property()
    {
        var unbound = new List<string>();
        foreach (var setting in Settings)
        {
            var name = setting.Name;
            if (AppSettings.HostSettings.Contains(name)) continue;
            if (AppSettings.HostSettingPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
            if (AppSettings.DisabledFunction(name) is not null) continue;
            if (!name.Contains("__", StringComparison.Ordinal) || OptionsCatalog.Resolve(name) is null)
                unbound.Add($"{setting.Module}: {name}");
        }
        Assert.True(unbound.Count == 0,
            "settings no options class binds (sections known: " + string.Join(", ", OptionsCatalog.Sections.Keys.Order()) + "):\n" + string.Join("\n", unbound));
    }

    [Fact]
    public void The_options_catalog_sees_the_core_and_pipeline_sections()
    {
        // Guards the reflection above against passing vacuously (e.g. if assembly discovery broke).
        Assert.Equal(typeof(AnalysisOptions), OptionsCatalog.Sections[AnalysisOptions.SectionName]);
        Assert.Equal(typeof(InputLimits), OptionsCatalog.Sections[InputLimits.SectionName]);
        Assert.Equal(typeof(MtlBatch.Pipeline.StorageOptions), OptionsCatalog.Sections[MtlBatch.Pipeline.StorageOptions.SectionName]);
        Assert.NotNull(OptionsCatalog.Resolve("Analysis__BatchSize"));
        Assert.Null(OptionsCatalog.Resolve("Analysis__NoSuchProperty"));
        Assert.Null(OptionsCatalog.Resolve("NoSuchSection__BatchSize"));
    }

    [Fact]
    public void Each_function_runs_in_exactly_one_app()
    {
        var functions = AppSettings.FunctionNames();
        Assert.NotEmpty(functions);
        var disabled = Settings
            .Where(s => AppSettings.DisabledFunction(s.Name) is not null && s.Entry.GetProperty("value").GetString() == "true")
            .Select(s => (s.Module, Function: AppSettings.DisabledFunction(s.Name)!))
            .ToArray();

        var unknown = disabled.Select(d => d.Function).Where(f => !functions.Contains(f)).Distinct().ToArray();
        Assert.True(unknown.Length == 0, "disabled functions that src/MtlBatch.Functions does not have: " + string.Join(", ", unknown));

        foreach (var function in functions)
        {
            var disabledIn = disabled.Where(d => d.Function == function).Select(d => d.Module).ToArray();
            Assert.True(disabledIn.Length == 1,
                $"function {function} must be disabled (AzureWebJobs.{function}.Disabled) in exactly one of intake/inference, is in: [{string.Join(", ", disabledIn)}]");
        }
        Assert.Contains((Intake, "RunInference"), disabled);
    }

    [Theory]
    [InlineData(Intake, "Cpu")]
    [InlineData(Inference, "Cuda")]
    public void Each_app_asks_for_its_device(string module, string device)
    {
        var setting = Assert.Single(Settings, s => s.Module == module && s.Name == $"{AnalysisOptions.SectionName}__{nameof(AnalysisOptions.Device)}");
        Assert.True(Enum.TryParse<DevicePreference>(setting.Entry.GetProperty("value").GetString(), out var parsed));
        Assert.Equal(device, parsed.ToString());
    }
}
