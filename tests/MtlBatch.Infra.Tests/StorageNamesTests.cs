using System.Reflection;
using MtlBatch.Core;

namespace MtlBatch.Infra.Tests;

/// <summary>The containers, queues and tables the Bicep creates are exactly those of <see cref="StorageNames"/>.</summary>
[Collection(InfraCollection.Name)]
public sealed class StorageNamesTests(CompiledInfra infra)
{
    /// <summary>Created for the Functions host, not used by the code: the Flex Consumption deployment package.</summary>
    private static readonly string[] HostOwnedContainers = ["app-package"];

    private static IReadOnlyDictionary<string, string> Constants { get; } = typeof(StorageNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    [Theory]
    [InlineData("Container", "Microsoft.Storage/storageAccounts/blobServices/containers")]
    [InlineData("Queue", "Microsoft.Storage/storageAccounts/queueServices/queues")]
    [InlineData("Table", "Microsoft.Storage/storageAccounts/tableServices/tables")]
    public void Bicep_creates_exactly_the_names_the_code_uses(string suffix, string resourceType)
    {
        var expected = Constants.Where(c => c.Key.EndsWith(suffix, StringComparison.Ordinal)).Select(c => c.Value).Order().ToArray();
        Assert.NotEmpty(expected);
        var created = CreatedNames(resourceType).Except(HostOwnedContainers).Order().ToArray();
        Assert.Equal(expected, created);
    }

    [Fact]
    public void Every_storage_name_constant_is_a_container_queue_or_table()
    {
        var other = Constants.Keys.Where(k => !k.EndsWith("Container", StringComparison.Ordinal)
            && !k.EndsWith("Queue", StringComparison.Ordinal) && !k.EndsWith("Table", StringComparison.Ordinal)).ToArray();
        Assert.True(other.Length == 0, "StorageNames constants this test cannot classify: " + string.Join(", ", other));
    }

    [Fact]
    public void A_lifecycle_rule_expires_decoded_audio_and_nothing_else()
    {
        var storage = infra.Main.Module("storage");
        var policy = Assert.Single(storage.OfType("Microsoft.Storage/storageAccounts/managementPolicies"));
        var rule = Assert.Single(policy.Body.GetProperty("properties").GetProperty("policy").GetProperty("rules").EnumerateArray());
        var definition = rule.GetProperty("definition");
        var prefixes = definition.GetProperty("filters").GetProperty("prefixMatch").EnumerateArray()
            .SelectMany(p => ArmExpression.EvaluateStrings(p, storage)).ToArray();
        Assert.Equal([StorageNames.DecodedContainer + "/"], prefixes);
        Assert.True(definition.GetProperty("actions").GetProperty("baseBlob").TryGetProperty("delete", out _));
    }

    [Fact]
    public void Triggers_and_scaling_use_the_storage_module_names()
    {
        var storage = infra.Main.Module("storage");
        Assert.Equal([StorageNames.RecordingsContainer], ArmExpression.EvaluateStrings(storage.Output("recordingsContainer"), storage));
        Assert.Equal([StorageNames.InferenceQueue], ArmExpression.EvaluateStrings(storage.Output("inferenceQueue"), storage));

        Assert.Contains("outputs.recordingsContainer", infra.Main.Module("blobEvents").PassedParameter("recordingsContainer")!.Value.GetString());
        var inference = infra.Main.Module("inference");
        Assert.Contains("outputs.inferenceQueue", inference.PassedParameter("queueName")!.Value.GetString());
        var app = Assert.Single(inference.OfType("Microsoft.App/containerApps"));
        var rule = Assert.Single(app.Body.GetProperty("properties").GetProperty("template").GetProperty("scale").GetProperty("rules").EnumerateArray());
        Assert.Equal("[parameters('queueName')]", rule.GetProperty("azureQueue").GetProperty("queueName").GetString());
    }

    private IEnumerable<string> CreatedNames(string resourceType)
    {
        foreach (var template in infra.Main.SelfAndDescendants())
            foreach (var resource in template.OfType(resourceType))
                foreach (var name in ArmExpression.EvaluateStrings(resource.Body.GetProperty("name"), template))
                {
                    var last = name.Split('/')[^1];
                    Assert.DoesNotContain("<runtime>", last, StringComparison.Ordinal);
                    yield return last;
                }
    }
}
