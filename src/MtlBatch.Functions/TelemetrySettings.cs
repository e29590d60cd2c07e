namespace MtlBatch.Functions;

/// <summary>Reads the Application Insights settings the infrastructure gives the app.</summary>
public static class TelemetrySettings
{
    /// <summary>
    /// The managed identity's client id from <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>
    /// (<c>Authorization=AAD;ClientId=...</c>), or null when telemetry is sent with the connection string's key alone.
    /// </summary>
    public static string? ManagedIdentityClientId(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString)) return null;
        string? clientId = null; var aad = false;
        foreach (var part in authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2) continue;
            if (kv[0].Equals("Authorization", StringComparison.OrdinalIgnoreCase)) aad = kv[1].Equals("AAD", StringComparison.OrdinalIgnoreCase);
            else if (kv[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase)) clientId = kv[1];
        }
        return aad && !string.IsNullOrEmpty(clientId) ? clientId : null;
    }
}
