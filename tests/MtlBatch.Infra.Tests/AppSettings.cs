using System.Text.Json;
using System.Text.RegularExpressions;

namespace MtlBatch.Infra.Tests;

/// <summary>The app settings main.bicep hands to the app modules (their <c>appSettings</c> parameter).</summary>
internal static partial class AppSettings
{
    public sealed record Setting(string Module, string Name, JsonElement Entry);

    /// <summary>
    /// Settings the Functions host, Azure.Identity or Application Insights read themselves (no options class binds
    /// them). Anything else must be Section__Property of an options class.
    /// </summary>
    public static readonly IReadOnlySet<string> HostSettings = new HashSet<string>(StringComparer.Ordinal)
    {
        "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri",
        "AZURE_CLIENT_ID",
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "FUNCTIONS_WORKER_RUNTIME",
    };

    /// <summary>Host setting families documented by Azure Functions / App Service.</summary>
    public static readonly IReadOnlyList<string> HostSettingPrefixes = ["FUNCTIONS_", "WEBSITE_"];

    public static IReadOnlyList<Setting> All(ArmTemplate main)
    {
        var settings = new List<Setting>();
        foreach (var module in main.SelfAndDescendants().Where(t => t.Deployment is not null && DeclaresAppSettings(t)))
        {
            var passed = module.PassedParameter("appSettings")
                ?? throw new InvalidOperationException($"module {module.Name} gets no appSettings");
            if (passed.ValueKind != JsonValueKind.Array)
                throw new InvalidOperationException($"module {module.Name}: appSettings must be a literal array in main.bicep so every name is visible, got {passed.GetRawText()[..Math.Min(200, passed.GetRawText().Length)]}");
            foreach (var entry in passed.EnumerateArray())
            {
                var name = entry.GetProperty("name").GetString()!;
                if (ArmExpression.IsExpression(name))
                    throw new InvalidOperationException($"module {module.Name}: setting name {name} is computed; write it literally");
                settings.Add(new Setting(module.Name, name, entry));
            }
        }
        return settings;
    }

    /// <summary>Function name in an <c>AzureWebJobs.{Function}.Disabled</c> setting, else null.</summary>
    public static string? DisabledFunction(string name) =>
        DisabledPattern().Match(name) is { Success: true } m ? m.Groups["function"].Value : null;

    /// <summary>Names of the functions in src/MtlBatch.Functions ([Function("X")] or [Function(nameof(X))]).</summary>
    public static IReadOnlySet<string> FunctionNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var source = RepositoryLayout.FunctionsSource;
        foreach (var file in Directory.GetFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal)) continue;
            foreach (Match m in FunctionAttribute().Matches(File.ReadAllText(file)))
                names.Add(m.Groups["literal"].Success ? m.Groups["literal"].Value : m.Groups["nameof"].Value.Split('.')[^1]);
        }
        return names;
    }

    private static bool DeclaresAppSettings(ArmTemplate template) =>
        template.Root.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("appSettings", out _);

    [GeneratedRegex(@"^AzureWebJobs\.(?<function>[A-Za-z_][A-Za-z0-9_]*)\.Disabled$")]
    private static partial Regex DisabledPattern();

    [GeneratedRegex(@"\[Function\(\s*(?:""(?<literal>[^""]+)""|nameof\(\s*(?<nameof>[\w.]+)\s*\))")]
    private static partial Regex FunctionAttribute();
}
