using System.Reflection;
using MtlBatch.Core;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// The options classes of the MtlBatch assemblies: every type with a <c>public const string SectionName</c>,
/// keyed by section (configuration keys are case-insensitive, so is the lookup).
/// </summary>
internal static class OptionsCatalog
{
    public static IReadOnlyDictionary<string, Type> Sections { get; } = Build();

    /// <summary>
    /// Resolves an app setting in <c>Section__Property</c> form (nested sections and properties allowed, e.g.
    /// <c>Analysis__PostProcessing__Vad__Onset</c>) to the options property it binds to; null when nothing binds it.
    /// </summary>
    public static string? Resolve(string settingName)
    {
        var segments = settingName.Split("__");
        for (var split = segments.Length - 1; split >= 1; split--)
        {
            var section = string.Join(':', segments[..split]);
            if (!Sections.TryGetValue(section, out var type)) continue;
            var path = ResolveProperty(type, segments[split..]);
            if (path is not null) return $"{type.FullName}.{path}";
        }
        return null;
    }

    private static string? ResolveProperty(Type type, string[] path)
    {
        var current = type;
        for (var i = 0; i < path.Length; i++)
        {
            var property = current.GetProperty(path[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetMethod is not { IsPublic: true }) return null;
            var last = i == path.Length - 1;
            if (last && property.SetMethod is not { IsPublic: true }) return null;
            if (!last && (property.PropertyType.IsPrimitive || property.PropertyType == typeof(string))) return null;
            current = property.PropertyType;
        }
        return string.Join('.', path);
    }

    private static Dictionary<string, Type> Build()
    {
        var sections = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var assembly in MtlBatchAssemblies())
        {
            foreach (var type in assembly.GetExportedTypes())
            {
                var field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
                if (field is { IsLiteral: true } && field.FieldType == typeof(string) && field.GetRawConstantValue() is string name)
                {
                    if (!sections.TryAdd(name, type))
                        throw new InvalidOperationException($"section '{name}' is claimed by {sections[name].FullName} and {type.FullName}");
                }
            }
        }
        return sections;
    }

    /// <summary>Core, Pipeline and every MtlBatch assembly they reference (Audio, Inference, Reports, ...).</summary>
    private static IEnumerable<Assembly> MtlBatchAssemblies()
    {
        var seen = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>([typeof(StorageNames).Assembly, typeof(MtlBatch.Pipeline.StorageOptions).Assembly]);
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (!seen.TryAdd(assembly.GetName().Name!, assembly)) continue;
            foreach (var reference in assembly.GetReferencedAssemblies())
                if (reference.Name!.StartsWith("MtlBatch.", StringComparison.Ordinal) && !seen.ContainsKey(reference.Name))
                    pending.Push(Assembly.Load(reference));
        }
        return seen.Values;
    }
}
