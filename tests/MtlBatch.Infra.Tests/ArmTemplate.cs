using System.Text.Json;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// One ARM template produced by <c>bicep build</c> (languageVersion 2.0: resources keyed by symbolic name), with the
/// templates of its modules (nested <c>Microsoft.Resources/deployments</c>) reachable by module name.
/// </summary>
internal sealed class ArmTemplate
{
    public const string DeploymentType = "Microsoft.Resources/deployments";

    private ArmTemplate(string name, JsonElement root, JsonElement? deployment)
    {
        Name = name;
        Root = root;
        Deployment = deployment;
        Resources = ReadResources(root).ToArray();
        Modules = Resources.Where(r => r.Type == DeploymentType && r.Body.TryGetProperty("properties", out var p) && p.TryGetProperty("template", out _))
            .ToDictionary(r => r.Symbol, r => new ArmTemplate(r.Symbol, r.Body.GetProperty("properties").GetProperty("template"), r.Body), StringComparer.Ordinal);
    }

    public sealed record Resource(string Symbol, string Type, JsonElement Body);

    /// <summary>Symbolic name of the module in its parent ("main" for the top level).</summary>
    public string Name { get; }
    public JsonElement Root { get; }
    /// <summary>The deployment resource in the parent that runs this template (null for the top level).</summary>
    public JsonElement? Deployment { get; }
    public IReadOnlyList<Resource> Resources { get; }
    public IReadOnlyDictionary<string, ArmTemplate> Modules { get; }

    public static ArmTemplate Load(string compiledJson)
    {
        using var document = JsonDocument.Parse(compiledJson);
        return new ArmTemplate("main", document.RootElement.Clone(), null);
    }

    /// <summary>This template and every nested module template, depth first.</summary>
    public IEnumerable<ArmTemplate> SelfAndDescendants()
    {
        yield return this;
        foreach (var module in Modules.Values)
            foreach (var nested in module.SelfAndDescendants())
                yield return nested;
    }

    public ArmTemplate Module(string name) =>
        Modules.TryGetValue(name, out var module) ? module : throw new KeyNotFoundException($"main.bicep has no module '{name}'");

    public JsonElement? Variable(string name) =>
        Root.TryGetProperty("variables", out var variables) && variables.TryGetProperty(name, out var value) ? value : null;

    public JsonElement Output(string name) => Root.GetProperty("outputs").GetProperty(name).GetProperty("value");

    /// <summary>The value the parent passes for one of this module's parameters.</summary>
    public JsonElement? PassedParameter(string name) =>
        Deployment is { } d && d.GetProperty("properties").TryGetProperty("parameters", out var ps) && ps.TryGetProperty(name, out var p)
            ? p.GetProperty("value")
            : null;

    public IEnumerable<Resource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Resource> ReadResources(JsonElement root)
    {
        if (!root.TryGetProperty("resources", out var resources)) yield break;
        if (resources.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in resources.EnumerateObject())
                yield return new Resource(property.Name, property.Value.GetProperty("type").GetString()!, property.Value);
        }
        else
        {
            var i = 0;
            foreach (var item in resources.EnumerateArray())
                yield return new Resource($"#{i++}", item.GetProperty("type").GetString()!, item);
        }
    }
}
