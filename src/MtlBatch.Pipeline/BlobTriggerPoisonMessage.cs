using System.Text.Json;

namespace MtlBatch.Pipeline;

/// <summary>
/// What the Functions host puts on <c>webjobs-blobtrigger-poison</c> when a blob-triggered function failed on every
/// attempt (host.json <c>blobs.poisonBlobThreshold</c>): <c>{"Type":"BlobTrigger","FunctionId":…,"BlobType":"BlockBlob",
/// "ContainerName":…,"BlobName":…,"ETag":…}</c> (Microsoft.Azure.WebJobs.Extensions.Storage.Blobs, BlobTriggerMessage).
/// The host does not tell the function which attempt it runs, so this message is the only place a blob-triggered
/// intake's give-up can be seen.
/// </summary>
public sealed record BlobTriggerPoisonMessage(string FunctionId, string ContainerName, string BlobName, string ETag)
{
    /// <summary>The message, or null when it is not a blob-trigger poison message (other JSON, not JSON, fields missing).</summary>
    public static BlobTriggerPoisonMessage? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (Text(root, "Type") is { } type && type != "BlobTrigger") return null;
            return Text(root, "ContainerName") is { Length: > 0 } container && Text(root, "BlobName") is { Length: > 0 } blob
                ? new BlobTriggerPoisonMessage(Text(root, "FunctionId") ?? "", container, blob, Text(root, "ETag") ?? "")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
