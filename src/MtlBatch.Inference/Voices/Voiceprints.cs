using System.Text.Json;
using MtlBatch.Core;

namespace MtlBatch.Inference.Voices;

/// <summary>
/// One enrolled voice: the unit-length mean speaker embedding of several seconds of one person's speech, as the model
/// named by <see cref="ModelName"/> / <see cref="ModelVersion"/> computed it. Embeddings of another model version are
/// never compared with it (the embedding spaces differ): the voice must be enrolled again.
/// </summary>
public sealed record Voiceprint
{
    public required string Name { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required float[] Embedding { get; init; }
    /// <summary>Detected speech the voiceprint was computed from, in seconds.</summary>
    public required double SpeechSeconds { get; init; }
    /// <summary>The enrolment files' names (no folders), for the listing.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];
    public required DateTimeOffset EnrolledAt { get; init; }

    /// <summary>True when the voiceprint was made by this model version (and may be compared with its embeddings).</summary>
    public bool IsFor(ModelInfo model) =>
        string.Equals(ModelName, model.Name, StringComparison.Ordinal) && string.Equals(ModelVersion, model.Version, StringComparison.Ordinal);
}

/// <summary>The voiceprint store's content (a JSON file locally, a blob in the pipeline).</summary>
public sealed record VoiceprintDocument
{
    public const string CurrentFormat = "1";

    public string Format { get; init; } = CurrentFormat;
    public IReadOnlyList<Voiceprint> Voices { get; init; } = [];

    /// <summary>The voices that may be compared with this model's embeddings.</summary>
    public IReadOnlyList<Voiceprint> UsableWith(ModelInfo model) => [.. Voices.Where(v => v.IsFor(model))];

    /// <summary>Voices enrolled with another model version only (they need re-enrolment before they are used again).</summary>
    public IReadOnlyList<Voiceprint> StaleFor(ModelInfo model) =>
        [.. Voices.Where(v => !v.IsFor(model) && !Voices.Any(o => o.IsFor(model) && NameComparer.Equals(o.Name, v.Name)))];

    /// <summary>Adds or replaces the voice of that name for that model version (other versions' entries of the name are kept).</summary>
    public VoiceprintDocument With(Voiceprint voice) => this with
    {
        Voices = [.. Voices.Where(v => !(NameComparer.Equals(v.Name, voice.Name) && v.ModelName == voice.ModelName && v.ModelVersion == voice.ModelVersion)).Append(voice)
            .OrderBy(v => v.Name, NameComparer).ThenBy(v => v.ModelVersion, StringComparer.Ordinal)],
    };

    /// <summary>Removes every entry of that name (all model versions); <paramref name="removed"/> is how many.</summary>
    public VoiceprintDocument Without(string name, out int removed)
    {
        var kept = Voices.Where(v => !NameComparer.Equals(v.Name, name)).ToList();
        removed = Voices.Count - kept.Count;
        return this with { Voices = kept };
    }

    /// <summary>Names are matched case-insensitively ("Dana" and "dana" are one voice).</summary>
    public static StringComparer NameComparer => StringComparer.OrdinalIgnoreCase;

    public static VoiceprintDocument Parse(string json, string source)
    {
        VoiceprintDocument document;
        try { document = MtlJson.Deserialize<VoiceprintDocument>(json); }
        catch (JsonException ex) { throw new InvalidDataException($"{source} is not a voiceprint file: {ex.Message}", ex); }
        if (document.Format != CurrentFormat)
            throw new InvalidDataException($"{source} has voiceprint format '{document.Format}'; this version reads format '{CurrentFormat}'.");
        foreach (var v in document.Voices)
        {
            if (string.IsNullOrWhiteSpace(v.Name) || v.Embedding is not { Length: > 0 })
                throw new InvalidDataException($"{source} has a voice without a name or embedding.");
        }
        return document;
    }
}

/// <summary>Where voiceprints are kept: <see cref="VoiceprintFileStore"/> locally, a blob in the pipeline.</summary>
public interface IVoiceprintStore
{
    /// <summary>Where the store is, for messages.</summary>
    string Location { get; }

    /// <summary>The stored voices; an empty document when nothing was stored yet.</summary>
    Task<VoiceprintDocument> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(VoiceprintDocument document, CancellationToken cancellationToken);
}

/// <summary>A voiceprint store in one JSON file (written to a temporary file first, then moved over the old one).</summary>
public sealed class VoiceprintFileStore(string path) : IVoiceprintStore
{
    /// <summary>The default store: voices.json in the user's MtlBatch folder (e.g. ~/.config/mtlbatch/voices.json).</summary>
    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "mtlbatch", "voices.json");

    public string Location => Path.GetFullPath(path);

    public async Task<VoiceprintDocument> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return new VoiceprintDocument();
        return VoiceprintDocument.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
    }

    public async Task SaveAsync(VoiceprintDocument document, CancellationToken cancellationToken)
    {
        var full = Location;
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllTextAsync(temporary, MtlJson.Serialize(document), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, full, overwrite: true);
    }
}
