using MtlBatch.Audio;
using System.Text.Json;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization;

namespace MtlBatch.Corpus;

/// <summary>
/// What makes a corpus build resumable: every finished utterance or conversation is recorded as <c>parts/ID.json</c>
/// after its wav was written (wav files are written under a temporary name and renamed, so a file with the final
/// name is complete). A rerun reads the records and the manifests of an earlier complete run and keeps whatever
/// still matches the plan; the records are removed once the manifests are written.
/// </summary>
public sealed class PartStore(string root)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly string _folder = Path.Combine(root, "parts");

    public async Task<Dictionary<string, T>> LoadAsync<T>(IEnumerable<string> manifests, Func<T, string> id, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var manifest in manifests.Select(m => Path.Combine(root, m)).Where(File.Exists))
            foreach (var item in await ManifestIo.ReadLinesAsync<T>(manifest, cancellationToken).ConfigureAwait(false))
                result[id(item)] = item;
        if (!Directory.Exists(_folder)) return result;
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), Json) is { } item) result[id(item)] = item;
            }
            catch (JsonException)
            {
                // A record cut short by the interruption: that item is synthesised again.
            }
        }
        return result;
    }

    public async Task SaveAsync<T>(string id, T item, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, id + ".json");
        await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(item, Json), cancellationToken).ConfigureAwait(false);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public void Clear()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    /// <summary>True when the wav exists and holds <paramref name="duration"/> seconds (to the millisecond).</summary>
    public static bool AudioMatches(string root, string audio, double duration)
    {
        var path = Path.Combine(root, audio);
        if (!File.Exists(path)) return false;
        try
        {
            var info = WavReader.ReadInfo(path);
            return Math.Abs(info.FrameCount / (double)info.SampleRate - duration) < 0.0011;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Writes 16 kHz 16-bit PCM under a temporary name, then renames it into place.</summary>
    public static void WriteWavAtomically(string path, ReadOnlySpan<float> interleaved, int channels)
    {
        var temporary = path + ".partial";
        using (var writer = WavWriter.Create(temporary, Synthesizer.SampleRate, channels))
            writer.Write(interleaved);
        File.Move(temporary, path, overwrite: true);
    }
}
