using System.Text.Json;
using System.Text.Json.Serialization;

namespace MtlBatch.Core;

/// <summary>One set of JSON settings for every document MtlBatch writes or reads.</summary>
public static class MtlJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented) => new(JsonSerializerDefaults.Web)
    {
        WriteIndented = indented,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static string Serialize<T>(T value, bool indented = true) => JsonSerializer.Serialize(value, indented ? Options : Compact);
    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Empty JSON for {typeof(T).Name}.");

    public static async Task WriteFileAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, value, Options, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<T> ReadFileAsync<T>(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<T>(stream, Options, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException($"Empty JSON in {path}.");
    }
}
