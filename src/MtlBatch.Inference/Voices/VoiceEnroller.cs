using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Inference.Voices;

/// <summary>Enrolment checks. Bound from configuration section <c>Voices:Enrollment</c>.</summary>
public sealed class VoiceEnrollmentOptions
{
    public const string SectionName = "Voices:Enrollment";

    /// <summary>Least detected speech (voice activity of the enrolled voice) a voiceprint is made from, in seconds.</summary>
    public double MinSpeechSeconds { get; set; } = 5;

    /// <summary>
    /// A second diarized voice that holds at least this share of the detected speech and does not sound like the main one
    /// (cosine below <see cref="SameVoiceSimilarity"/>) rejects the enrolment: the files hold more than one person.
    /// </summary>
    public double MaxOtherVoiceShare { get; set; } = 0.2;

    /// <summary>
    /// Two clusters of the enrolment audio this similar (cosine of their embeddings) are one voice. The audio is always split
    /// in at least two clusters; measured with mtl-small 2.1.0 on generated voices: one voice's clusters 0.97-0.99, two
    /// voices' 0.86-0.91 (the model's embeddings of one recording share its context, so even different voices score high
    /// there); on real held-out speakers see docs/voiceprints.md for how many single-speaker enrolments this refuses.
    /// </summary>
    public double SameVoiceSimilarity { get; set; } = 0.94;

    /// <summary>Silence put between two enrolment files, in seconds (they are analysed as one recording).</summary>
    public double GapSeconds { get; set; } = 1.0;

    public void Validate()
    {
        if (!(MinSpeechSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(MinSpeechSeconds), MinSpeechSeconds, "must be > 0");
        if (MaxOtherVoiceShare is <= 0 or >= 1 || double.IsNaN(MaxOtherVoiceShare))
            throw new ArgumentOutOfRangeException(nameof(MaxOtherVoiceShare), MaxOtherVoiceShare, "must be between 0 and 1");
        if (SameVoiceSimilarity is < -1 or > 1 || double.IsNaN(SameVoiceSimilarity))
            throw new ArgumentOutOfRangeException(nameof(SameVoiceSimilarity), SameVoiceSimilarity, "must be between -1 and 1");
        if (GapSeconds is < 0 or > 10 || double.IsNaN(GapSeconds)) throw new ArgumentOutOfRangeException(nameof(GapSeconds), GapSeconds, "must be 0-10");
    }
}

/// <summary>Why an enrolment was refused.</summary>
public sealed class VoiceEnrollmentException(string code, string message) : Exception(message)
{
    /// <summary>Too little detected speech.</summary>
    public const string TooShort = "too-short";
    /// <summary>More than one voice in the enrolment audio.</summary>
    public const string SeveralVoices = "several-voices";

    public string Code { get; } = code;
}

/// <summary>One enrolment file: a name for messages and a way to read its 16 kHz mono samples.</summary>
public sealed record EnrollmentSource(string Name, Func<CancellationToken, IAsyncEnumerable<float[]>> Samples);

/// <summary>
/// Makes a voiceprint from a few files of one person's speech through the analysis path: the files are analysed as one
/// recording (with <see cref="VoiceEnrollmentOptions.GapSeconds"/> of silence between them) by the same analyzer as
/// <c>mtlbatch analyze</c>, so voice activity, diarization and the speaker embedding (<see cref="AnalysisResult.SpeakerEmbeddings"/>)
/// are exactly what analysis computes. Refused (<see cref="VoiceEnrollmentException"/>) when the speech is too short or
/// when the diarizer finds a second voice of some length that does not sound like the first.
/// </summary>
public sealed class VoiceEnroller
{
    private readonly ISpeechAnalyzer _analyzer;
    private readonly VoiceEnrollmentOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public VoiceEnroller(ISpeechAnalyzer analyzer, VoiceEnrollmentOptions options, ILogger<VoiceEnroller>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _analyzer = analyzer;
        _options = options;
        _logger = logger ?? NullLogger<VoiceEnroller>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <param name="analysis">Speaker limits and chunking; the beam is forced to 1 (the words are not used).</param>
    public async Task<Voiceprint> EnrollAsync(string name, IReadOnlyList<EnrollmentSource> sources, AnalysisOptions analysis, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(analysis);
        if (sources.Count == 0) throw new ArgumentException("At least one enrolment file.", nameof(sources));
        var options = new AnalysisOptions
        {
            // At least two clusters: the diarizer alone merges similar voices, so the enrolment audio is always split in two
            // and the halves' similarity decides (one voice splits into two similar halves, two voices into dissimilar ones).
            ModelPath = analysis.ModelPath, Device = analysis.Device, MinSpeakers = Math.Max(2, analysis.MinSpeakers), MaxSpeakers = Math.Max(2, analysis.MaxSpeakers),
            ChunkSeconds = analysis.ChunkSeconds, ChunkOverlapSeconds = analysis.ChunkOverlapSeconds, BatchSize = analysis.BatchSize, BeamWidth = 1,
            IntraOpThreads = analysis.IntraOpThreads,
        };
        var recording = new RecordingInfo { Name = $"enrolment of {name}", DurationSeconds = 0, SampleRate = 16000, Channels = 1, Sha256 = "" };
        var result = await _analyzer.AnalyzeAsync(Concatenate(sources, _options.GapSeconds, cancellationToken), recording, options, null, cancellationToken).ConfigureAwait(false);
        var voiceprint = FromAnalysis(name, result, [.. sources.Select(s => s.Name)]);
        _logger.LogInformation("Enrolled {Voice} from {Files} file(s): {Speech:F1} s of speech, model {Model} {ModelVersion}",
            name, sources.Count, voiceprint.SpeechSeconds, voiceprint.ModelName, voiceprint.ModelVersion);
        return voiceprint;
    }

    /// <summary>The checks and the voiceprint from an analysed enrolment recording.</summary>
    public Voiceprint FromAnalysis(string name, AnalysisResult result, IReadOnlyList<string> sourceNames)
    {
        ArgumentNullException.ThrowIfNull(result);
        var embeddings = result.SpeakerEmbeddings ?? new Dictionary<string, float[]>();
        var speakers = result.Speakers.Where(s => embeddings.ContainsKey(s.Id) && s.TotalSeconds > 0).OrderByDescending(s => s.TotalSeconds).ToList();
        var total = speakers.Sum(s => s.TotalSeconds);
        _logger.LogDebug("Enrolment of {Voice}: {Speakers} clusters: {Seconds}", name, speakers.Count, string.Join(", ", result.Speakers.Select(s => $"{s.Id} {s.TotalSeconds:F1} s")));
        if (speakers.Count == 0 || total < _options.MinSpeechSeconds)
            throw new VoiceEnrollmentException(VoiceEnrollmentException.TooShort,
                $"Only {total:F1} s of speech was detected in {sourceNames.Count} file(s); at least {_options.MinSpeechSeconds:0.#} s of one person's speech is needed to enrol {name}.");

        var main = embeddings[speakers[0].Id];
        var included = new List<SpeakerSummary> { speakers[0] };
        foreach (var other in speakers.Skip(1))
        {
            var similarity = VoiceIdentifier.Cosine(main, embeddings[other.Id]);
            _logger.LogDebug("Enrolment of {Voice}: cluster {Speaker} ({Seconds:F1} s) has similarity {Similarity:F3} to the main one", name, other.Id, other.TotalSeconds, similarity);
            if (similarity >= _options.SameVoiceSimilarity) { included.Add(other); continue; }
            var share = other.TotalSeconds / total;
            if (share >= _options.MaxOtherVoiceShare)
                throw new VoiceEnrollmentException(VoiceEnrollmentException.SeveralVoices,
                    $"The enrolment audio for {name} holds more than one voice: the diarizer found {speakers.Count} speakers " +
                    $"({string.Join(", ", speakers.Select(s => $"{s.TotalSeconds:F1} s"))}; a second voice has {share:P0} of the speech and a similarity of {similarity:F2} to the first). " +
                    "Enrol with recordings of this person alone.");
            _logger.LogInformation("Enrolment of {Voice}: leaving out {Seconds:F1} s of a different voice ({Share:P0} of the speech, similarity {Similarity:F2})",
                name, other.TotalSeconds, share, similarity);
        }
        var seconds = included.Sum(s => s.TotalSeconds);
        if (seconds < _options.MinSpeechSeconds)
            throw new VoiceEnrollmentException(VoiceEnrollmentException.TooShort,
                $"Only {seconds:F1} s of speech of the main voice was detected in {sourceNames.Count} file(s); at least {_options.MinSpeechSeconds:0.#} s is needed to enrol {name}.");

        var sum = new double[main.Length];
        foreach (var s in included)
        {
            var e = embeddings[s.Id];
            for (var d = 0; d < sum.Length; d++) sum[d] += s.TotalSeconds * (double)e[d];
        }
        return new Voiceprint
        {
            Name = name.Trim(), ModelName = result.Model.Name, ModelVersion = result.Model.Version,
            Embedding = PostProcessing.SpeakerWindowPooler.Normalize(sum), SpeechSeconds = Math.Round(seconds, 2),
            Sources = [.. sourceNames.Select(Path.GetFileName).OfType<string>()], EnrolledAt = _time.GetUtcNow(),
        };
    }

    /// <summary>The sources' samples one after another, <paramref name="gapSeconds"/> of silence between two (16 kHz).</summary>
    public static async IAsyncEnumerable<float[]> Concatenate(IReadOnlyList<EnrollmentSource> sources, double gapSeconds,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var gap = new float[(int)Math.Round(gapSeconds * 16000)];
        for (var i = 0; i < sources.Count; i++)
        {
            if (i > 0 && gap.Length > 0) yield return gap;
            await foreach (var block in sources[i].Samples(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false)) yield return block;
        }
    }
}
