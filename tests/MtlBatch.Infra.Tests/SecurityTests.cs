using System.Text.Json;

namespace MtlBatch.Infra.Tests;

/// <summary>No keys or connection strings in app settings, identity everywhere, and only least-privilege roles.</summary>
[Collection(InfraCollection.Name)]
public sealed class SecurityTests(CompiledInfra infra)
{
    /// <summary>Every role the deployment may grant, by built-in role definition id.</summary>
    private static readonly Dictionary<string, string> AllowedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["7f951dda-4ed3-4680-a7ca-43d2b4ae2a40"] = "AcrPull",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["d5a91429-5739-47e2-a06b-3470a27159e7"] = "EventGrid Data Sender",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    private static readonly string[] SecretMarkers = ["AccountKey", "SharedAccessSignature", "DefaultEndpointsProtocol", "listKeys(", "sig="];

    [Fact]
    public void App_settings_hold_no_keys_or_connection_strings()
    {
        var settings = AppSettings.All(infra.Main);
        var offending = settings.Where(s =>
                SecretMarkers.Any(m => s.Entry.GetRawText().Contains(m, StringComparison.OrdinalIgnoreCase))
                || (s.Name.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) && s.Name != "APPLICATIONINSIGHTS_CONNECTION_STRING")
                || s.Name.Contains("CONNECTION_STRING", StringComparison.Ordinal) && s.Name != "APPLICATIONINSIGHTS_CONNECTION_STRING"
                || s.Name.EndsWith("Key", StringComparison.OrdinalIgnoreCase)
                || s.Name == "AzureWebJobsStorage")
            .Select(s => $"{s.Module}: {s.Name}")
            .ToArray();
        Assert.True(offending.Length == 0, "secret-bearing settings: " + string.Join(", ", offending));
    }

    [Theory]
    [InlineData("intake")]
    [InlineData("inference")]
    public void Host_storage_connects_with_the_managed_identity(string module)
    {
        var settings = AppSettings.All(infra.Main).Where(s => s.Module == module).ToDictionary(s => s.Name, s => s.Entry);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"].GetProperty("value").GetString());
        Assert.Contains("outputs.clientId", settings["AzureWebJobsStorage__clientId"].GetProperty("value").GetString());
        Assert.Contains("outputs.clientId", settings["AZURE_CLIENT_ID"].GetProperty("value").GetString());
        Assert.Contains("outputs.name", settings["AzureWebJobsStorage__accountName"].GetProperty("value").GetString());
        // The webhook secret is only ever a Key Vault reference.
        var secret = settings["Events__WebhookSecret"];
        Assert.False(secret.TryGetProperty("value", out _));
        Assert.True(secret.TryGetProperty("keyVaultSecretUri", out _));
    }

    [Fact]
    public void Storage_accepts_no_shared_keys_and_no_anonymous_reads()
    {
        var account = Assert.Single(infra.Main.Module("storage").OfType("Microsoft.Storage/storageAccounts"));
        var properties = account.Body.GetProperty("properties");
        Assert.False(properties.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.False(properties.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.Equal("TLS1_2", properties.GetProperty("minimumTlsVersion").GetString());
    }

    [Fact]
    public void Local_auth_is_off_wherever_a_service_offers_keys()
    {
        Assert.True(Single("monitoring", "Microsoft.Insights/components").GetProperty("DisableLocalAuth").GetBoolean());
        Assert.True(Single("eventTopic", "Microsoft.EventGrid/topics").GetProperty("disableLocalAuth").GetBoolean());
        Assert.False(Single("registry", "Microsoft.ContainerRegistry/registries").GetProperty("adminUserEnabled").GetBoolean());
        Assert.True(Single("keyVault", "Microsoft.KeyVault/vaults").GetProperty("enableRbacAuthorization").GetBoolean());
    }

    [Fact]
    public void Only_least_privilege_data_roles_are_granted()
    {
        var granted = new List<string>();
        foreach (var template in infra.Main.SelfAndDescendants())
            foreach (var assignment in template.OfType("Microsoft.Authorization/roleAssignments"))
                granted.AddRange(ArmExpression.EvaluateStrings(assignment.Body.GetProperty("properties").GetProperty("roleDefinitionId"), template)
                    .Select(id => id.Split('/')[^1]));

        var unexpected = granted.Where(id => !AllowedRoles.ContainsKey(id)).ToArray();
        Assert.True(unexpected.Length == 0, "roles outside the least-privilege set: " + string.Join(", ", unexpected));
        Assert.Equal(AllowedRoles.Keys.Order(StringComparer.OrdinalIgnoreCase), granted.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void Both_apps_run_as_the_user_assigned_identity()
    {
        var site = Assert.Single(infra.Main.Module("intake").OfType("Microsoft.Web/sites"));
        var app = Assert.Single(infra.Main.Module("inference").OfType("Microsoft.App/containerApps"));
        foreach (var resource in new[] { site, app })
            Assert.Equal("UserAssigned", resource.Body.GetProperty("identity").GetProperty("type").GetString());
        var deployment = site.Body.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("deployment").GetProperty("storage").GetProperty("authentication");
        Assert.Equal("UserAssignedIdentity", deployment.GetProperty("type").GetString());
        var scaleRule = app.Body.GetProperty("properties").GetProperty("template").GetProperty("scale").GetProperty("rules")[0].GetProperty("azureQueue");
        Assert.True(scaleRule.TryGetProperty("identity", out _));
        Assert.False(scaleRule.TryGetProperty("auth", out _));
    }

    private JsonElement Single(string module, string type) =>
        Assert.Single(infra.Main.Module(module).OfType(type)).Body.GetProperty("properties");
}
