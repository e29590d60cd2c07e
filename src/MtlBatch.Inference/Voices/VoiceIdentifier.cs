using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Inference.Voices;

/// <summary>Voiceprint identification settings. Bound from configuration section <c>Voices</c> (CLI: <c>--voice-threshold</c>).</summary>
public sealed class VoiceIdentificationOptions
{
    public const string SectionName = "Voices";

    /// <summary>
    /// Lowest cosine similarity between a diarized speaker and a voiceprint that names the speaker. 0.96: chosen on the
    /// validation split of the real held-out speakers (the lowest threshold whose false-accept rate is at most 5 %;
    /// docs/voiceprints.md has the measurement and the test-split figures).
    /// </summary>
    public double Threshold { get; set; } = 0.96;

    public void Validate()
    {
        if (Threshold is < -1 or > 1 || double.IsNaN(Threshold))
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "must be a cosine similarity between -1 and 1");
    }
}

/// <summary>One speaker's best voice: the voice with the highest cosine similarity, named or not.</summary>
public sealed record VoiceMatch(string Speaker, string Voice, double Score, bool Accepted);

/// <summary>
/// Names diarized speakers after enrolled voices: every (speaker, voice) pair is scored by cosine similarity of the
/// speaker's embedding (<see cref="AnalysisResult.SpeakerEmbeddings"/>) with the voiceprint; pairs at or above the threshold
/// are taken best first, each voice and each speaker at most once, and the speaker and its turns get
/// <see cref="SpeakerSummary.SpeakerName"/> and <see cref="SpeakerSummary.SpeakerScore"/>. Voiceprints of another model
/// version are never compared (a warning names them).
/// </summary>
public sealed class VoiceIdentifier
{
    private readonly double _threshold;
    private readonly ILogger _logger;
    private int _staleWarned;

    public VoiceIdentifier(VoiceIdentificationOptions options, ILogger<VoiceIdentifier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _threshold = options.Threshold;
        _logger = logger ?? NullLogger<VoiceIdentifier>.Instance;
    }

    public AnalysisResult Identify(AnalysisResult result, VoiceprintDocument voices) => Identify(result, voices, out _);

    /// <param name="matches">Per speaker with an embedding: its best voice among those assigned in score order (accepted or not).</param>
    public AnalysisResult Identify(AnalysisResult result, VoiceprintDocument voices, out IReadOnlyList<VoiceMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(voices);
        matches = [];
        var stale = voices.StaleFor(result.Model);
        // Once per identifier (a batch or a worker), not once per recording.
        if (stale.Count > 0 && Interlocked.Exchange(ref _staleWarned, 1) == 0)
            _logger.LogWarning("Voiceprints {Voices} were enrolled with another model version ({Versions}), not {ModelVersion}: they are not compared; enrol them again (mtlbatch voices enroll)",
                string.Join(", ", stale.Select(v => v.Name).Distinct(VoiceprintDocument.NameComparer)), string.Join(", ", stale.Select(v => v.ModelVersion).Distinct()), result.Model.Version);
        var usable = voices.UsableWith(result.Model);
        if (usable.Count == 0 || result.Speakers.Count == 0) return result;
        if (result.SpeakerEmbeddings is not { Count: > 0 } embeddings)
        {
            _logger.LogWarning("{Recording}: the analysis kept no speaker embeddings; speakers are not compared with voiceprints", result.Recording.Name);
            return result;
        }

        var pairs = new List<(string Speaker, Voiceprint Voice, double Score)>();
        foreach (var (speaker, embedding) in embeddings)
            foreach (var voice in usable)
                if (voice.Embedding.Length == embedding.Length) pairs.Add((speaker, voice, Cosine(embedding, voice.Embedding)));
                else _logger.LogWarning("Voiceprint {Voice} has {Dimensions} dimensions, the model's embeddings {ModelDimensions}: not compared", voice.Name, voice.Embedding.Length, embedding.Length);

        // Best pairs first; each speaker and each voice once. Pairs below the threshold are still reported (not named).
        var named = new Dictionary<string, (string Name, double Score)>(StringComparer.Ordinal);
        var found = new List<VoiceMatch>();
        var usedVoices = new HashSet<string>(VoiceprintDocument.NameComparer);
        var seenSpeakers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (speaker, voice, score) in pairs.OrderByDescending(p => p.Score).ThenBy(p => p.Speaker, StringComparer.Ordinal))
        {
            if (seenSpeakers.Contains(speaker) || usedVoices.Contains(voice.Name)) continue;
            seenSpeakers.Add(speaker);
            usedVoices.Add(voice.Name);
            var accepted = score >= _threshold;
            found.Add(new VoiceMatch(speaker, voice.Name, score, accepted));
            if (accepted) named[speaker] = (voice.Name, Math.Round(score, 4));
        }
        matches = found;
        foreach (var m in found)
            _logger.LogInformation("{Recording}: speaker {Speaker} best matches voice {Voice} at {Score:F3} ({Decision}, threshold {Threshold:F2})",
                result.Recording.Name, m.Speaker, m.Voice, m.Score, m.Accepted ? "named" : "below threshold", _threshold);
        if (named.Count == 0) return result;

        return result with
        {
            Speakers = [.. result.Speakers.Select(s => named.TryGetValue(s.Id, out var n) ? s with { SpeakerName = n.Name, SpeakerScore = n.Score } : s)],
            Turns = [.. result.Turns.Select(t => named.TryGetValue(t.Speaker, out var n) ? t with { SpeakerName = n.Name, SpeakerScore = n.Score } : t)],
        };
    }

    /// <summary>The threshold in use.</summary>
    public double Threshold => _threshold;

    /// <summary>Cosine similarity (the stored and computed embeddings are unit length; the norms are divided out anyway).</summary>
    public static double Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : 0;
    }
}

/// <summary>The voices and the identifier an analysis run names speakers with.</summary>
public sealed record VoiceIdentification(VoiceIdentifier Identifier, VoiceprintDocument Voices)
{
    public AnalysisResult Apply(AnalysisResult result) => Identifier.Identify(result, Voices);
}
