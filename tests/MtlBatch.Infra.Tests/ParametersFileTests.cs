using System.Text.Json;

namespace MtlBatch.Infra.Tests;

/// <summary>The dev and prod parameter files fit main.bicep: known names, right types, allowed values, nothing required missing.</summary>
[Collection(InfraCollection.Name)]
public sealed class ParametersFileTests(CompiledInfra infra)
{
    [Theory]
    [InlineData("main.parameters.json", "dev")]
    [InlineData("main.parameters.prod.json", "prod")]
    public void Parameter_file_matches_the_template(string file, string environment)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryLayout.Infra, file)));
        var supplied = document.RootElement.GetProperty("parameters");
        var declared = infra.Main.Root.GetProperty("parameters");

        foreach (var parameter in supplied.EnumerateObject())
        {
            Assert.True(declared.TryGetProperty(parameter.Name, out var declaration), $"{file}: main.bicep has no parameter '{parameter.Name}'");
            Assert.True(parameter.Value.TryGetProperty("value", out var value), $"{file}: {parameter.Name} has no value");
            CheckValue(file, parameter.Name, declaration, value);
        }
        foreach (var parameter in declared.EnumerateObject())
        {
            var required = !parameter.Value.TryGetProperty("defaultValue", out _) && !parameter.Value.TryGetProperty("nullable", out _);
            var secure = parameter.Value.GetProperty("type").GetString()!.StartsWith("secure", StringComparison.Ordinal);
            if (required) Assert.True(supplied.TryGetProperty(parameter.Name, out _), $"{file}: required parameter '{parameter.Name}' missing");
            if (secure) Assert.False(supplied.TryGetProperty(parameter.Name, out _), $"{file}: secure parameter '{parameter.Name}' must come from the command line, not a file");
        }
        Assert.Equal(environment, supplied.GetProperty("environmentName").GetProperty("value").GetString());
    }

    private static void CheckValue(string file, string name, JsonElement declaration, JsonElement value)
    {
        var type = declaration.GetProperty("type").GetString()!.ToLowerInvariant();
        var expectedKind = type switch
        {
            "string" or "securestring" => JsonValueKind.String,
            "int" => JsonValueKind.Number,
            "object" or "secureobject" => JsonValueKind.Object,
            "array" => JsonValueKind.Array,
            _ => value.ValueKind,
        };
        if (type == "bool") Assert.True(value.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{file}: {name} must be a bool");
        else Assert.True(value.ValueKind == expectedKind, $"{file}: {name} must be {type}, is {value.ValueKind}");

        if (declaration.TryGetProperty("allowedValues", out var allowed))
            Assert.True(allowed.EnumerateArray().Any(a => a.GetRawText() == value.GetRawText()), $"{file}: {name}={value} is not allowed");
        if (declaration.TryGetProperty("minValue", out var min)) Assert.True(value.GetInt64() >= min.GetInt64(), $"{file}: {name} below {min}");
        if (declaration.TryGetProperty("maxValue", out var max)) Assert.True(value.GetInt64() <= max.GetInt64(), $"{file}: {name} above {max}");
        if (declaration.TryGetProperty("minLength", out var minLength)) Assert.True(value.GetString()!.Length >= minLength.GetInt32(), $"{file}: {name} too short");
        if (declaration.TryGetProperty("maxLength", out var maxLength)) Assert.True(value.GetString()!.Length <= maxLength.GetInt32(), $"{file}: {name} too long");
    }
}
