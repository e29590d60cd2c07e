using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Corpus;
using MtlBatch.Inference;
using MtlBatch.Inference.Voices;

namespace MtlBatch.Evaluation;

/// <summary>How <see cref="VoiceprintEvaluator"/> splits each held-out speaker's utterances into an enrolment and probes.</summary>
public sealed class VoiceprintEvaluationOptions
{
    /// <summary>Utterance manifest of each set: valid.jsonl to choose the threshold, test.jsonl to report it.</summary>
    public string UtteranceManifest { get; set; } = "test.jsonl";
    /// <summary>An enrolled speaker's first utterances (by id) up to this much labelled speech (the vad field; the duration without it) form the enrolment.</summary>
    public double EnrollSpeechSeconds { get; set; } = 8;
    /// <summary>The remaining utterances are concatenated, in order, into probes of at least this much audio (a short turn).</summary>
    public double ProbeSeconds { get; set; } = 4;
    /// <summary>Every second speaker (sorted by set/speaker) is enrolled; the others are impostors whose probes should get no name.</summary>
    public bool EnrollEverySecondSpeaker { get; set; } = true;
    /// <summary>The operating point the report gives first (e.g. the threshold chosen on the validation split).</summary>
    public double Threshold { get; set; } = new VoiceIdentificationOptions().Threshold;
    /// <summary>When set: also report the lowest threshold (0.01 grid) whose false-accept rate is at most this.</summary>
    public double? ChooseForFalseAcceptRate { get; set; }
    public AnalysisOptions Analysis { get; set; } = new() { BeamWidth = 1 };
    public VoiceEnrollmentOptions Enrollment { get; set; } = new();
}

/// <summary>Identification figures at one threshold.</summary>
public sealed record VoiceprintOperatingPoint(
    double Threshold, double IdentificationAccuracy, double MisidentificationRate, double FalseAcceptRate, int Correct, int Wrong, int FalseAccepts);

/// <summary>The result of one <see cref="VoiceprintEvaluator"/> run.</summary>
public sealed record VoiceprintEvaluationReport
{
    public required string Model { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyList<string> Sets { get; init; }
    public required string Manifest { get; init; }
    public required int Speakers { get; init; }
    public required int EnrolledSpeakers { get; init; }
    /// <summary>Speakers chosen for enrolment whose enrolment was refused, per refusal code (they count as not enrolled).</summary>
    public required IReadOnlyDictionary<string, int> RefusedEnrollments { get; init; }
    /// <summary>Chosen speakers with too few utterances for an enrolment and a probe (they count as not enrolled).</summary>
    public required int SpeakersWithTooLittleAudio { get; init; }
    public required int GenuineProbes { get; init; }
    public required int ImpostorProbes { get; init; }
    /// <summary>Probes in which the analysis found no speaker at all (never named).</summary>
    public required int ProbesWithoutSpeaker { get; init; }
    public required double MeanEnrollmentSpeechSeconds { get; init; }
    public required double MeanProbeSeconds { get; init; }
    public required VoiceprintOperatingPoint AtThreshold { get; init; }
    public VoiceprintOperatingPoint? Chosen { get; init; }
    public double? ChosenForFalseAcceptRate { get; init; }
    public required IReadOnlyList<VoiceprintOperatingPoint> Sweep { get; init; }
}

/// <summary>
/// Measures voiceprint identification on held-out real speakers (docs/voiceprints.md) through the production path: every
/// enrolment goes through <see cref="VoiceEnroller"/> and every probe through <see cref="SpeechAnalyzer"/> and
/// <see cref="VoiceIdentifier"/>, exactly as <c>mtlbatch voices enroll</c> and <c>mtlbatch analyze --voices</c>. A probe
/// counts for its main (longest) diarized speaker: a genuine probe is correct when that speaker is named after its own
/// voice, misidentified when named after another; an impostor probe (a speaker not enrolled) is a false accept when named.
/// </summary>
public sealed class VoiceprintEvaluator(MtlModelFactory factory, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<VoiceprintEvaluator>();

    private sealed record Utterance(string Path, string Id, double Seconds, double SpeechSeconds);
    private sealed record Probe(string? TrueVoice, string? Voice, double Score);

    public async Task<VoiceprintEvaluationReport> EvaluateAsync(IReadOnlyList<string> corpusFolders, VoiceprintEvaluationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(corpusFolders);
        ArgumentNullException.ThrowIfNull(options);
        if (corpusFolders.Count == 0) throw new ArgumentException("At least one corpus folder.", nameof(corpusFolders));
        var speakers = new SortedDictionary<string, List<Utterance>>(StringComparer.Ordinal);
        foreach (var folder in corpusFolders)
        {
            var setName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            var manifest = Path.Combine(folder, options.UtteranceManifest);
            foreach (var u in await ManifestIo.ReadLinesAsync<UtteranceEntry>(manifest, cancellationToken).ConfigureAwait(false))
            {
                // Clips without a speaker, or labelled as holding no speech (e.g. _silence_), are nobody's voice.
                if (string.IsNullOrEmpty(u.Speaker) || u.Vad is { Count: 0 }) continue;
                var speech = u.Vad is null ? u.Duration : u.Vad.Sum(v => v[1] - v[0]);
                var key = setName + "/" + u.Speaker;
                if (!speakers.TryGetValue(key, out var list)) speakers[key] = list = [];
                list.Add(new Utterance(Path.Combine(folder, u.Audio), u.Id, u.Duration, speech));
            }
        }
        foreach (var list in speakers.Values) list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        _logger.LogInformation("Voiceprints on {Sets} ({Manifest}): {Speakers} speakers", string.Join(", ", corpusFolders), options.UtteranceManifest, speakers.Count);

        var analyzer = factory.CreateAnalyzer(new PostProcessingOptions());
        var enroller = new VoiceEnroller(analyzer, options.Enrollment, loggerFactory.CreateLogger<VoiceEnroller>());
        // Threshold -1: every best match is returned with its score; the thresholds are applied below.
        var identifier = new VoiceIdentifier(new VoiceIdentificationOptions { Threshold = -1 }, loggerFactory.CreateLogger<VoiceIdentifier>());

        var voices = new VoiceprintDocument();
        var probeSets = new List<(string? Voice, List<Utterance> Utterances)>();
        var refused = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var tooLittle = 0;
        var enrolledSpeech = new List<double>();
        var index = 0;
        foreach (var (key, utterances) in speakers)
        {
            var enrol = !options.EnrollEverySecondSpeaker || index++ % 2 == 0;
            List<Utterance> rest = utterances;
            string? voice = null;
            if (enrol)
            {
                var take = 0; double speech = 0;
                while (take < utterances.Count && speech < options.EnrollSpeechSeconds) speech += utterances[take++].SpeechSeconds;
                if (speech < options.EnrollSpeechSeconds || take >= utterances.Count) tooLittle++;
                else
                {
                    try
                    {
                        var print = await enroller.EnrollAsync(key, [.. utterances.Take(take).Select(Source)], options.Analysis, cancellationToken).ConfigureAwait(false);
                        voices = voices.With(print);
                        enrolledSpeech.Add(print.SpeechSeconds);
                        voice = key;
                        rest = utterances.Skip(take).ToList();
                    }
                    catch (VoiceEnrollmentException ex)
                    {
                        refused[ex.Code] = refused.GetValueOrDefault(ex.Code) + 1;
                        _logger.LogInformation("Enrolment of {Speaker} refused: {Reason}", key, ex.Message);
                    }
                }
            }
            foreach (var group in Groups(rest, options.ProbeSeconds)) probeSets.Add((voice, group));
        }
        _logger.LogInformation("Enrolled {Enrolled} voices; {Probes} probes to identify", voices.Voices.Count, probeSets.Count);

        var probes = new List<Probe>(probeSets.Count);
        var withoutSpeaker = 0;
        foreach (var (trueVoice, group) in probeSets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var recording = new RecordingInfo { Name = group[0].Id, DurationSeconds = 0, SampleRate = 16000, Channels = 1, Sha256 = "" };
            var result = await analyzer.AnalyzeAsync(VoiceEnroller.Concatenate([.. group.Select(Source)], options.Enrollment.GapSeconds, cancellationToken),
                recording, options.Analysis, null, cancellationToken).ConfigureAwait(false);
            identifier.Identify(result, voices, out var matches);
            var main = result.Speakers.OrderByDescending(s => s.TotalSeconds).FirstOrDefault();
            var match = main is null ? null : matches.FirstOrDefault(m => m.Speaker == main.Id);
            if (main is null) withoutSpeaker++;
            probes.Add(new Probe(trueVoice, match?.Voice, match?.Score ?? double.NegativeInfinity));
            if (probes.Count % 100 == 0) _logger.LogInformation("Identified {Count} of {Total} probes", probes.Count, probeSets.Count);
        }

        var sweep = Enumerable.Range(0, 21).Select(i => At(probes, Math.Round(i * 0.05, 2))).ToList();
        VoiceprintOperatingPoint? chosen = null;
        if (options.ChooseForFalseAcceptRate is { } far)
        {
            for (var i = -100; i <= 100 && chosen is null; i++)
            {
                var point = At(probes, Math.Round(i * 0.01, 2));
                if (point.FalseAcceptRate <= far) chosen = point;
            }
        }
        var model = factory.Model.Description;
        return new VoiceprintEvaluationReport
        {
            Model = model.Name, ModelVersion = model.Version, Sets = [.. corpusFolders.Select(Path.GetFullPath)], Manifest = options.UtteranceManifest,
            Speakers = speakers.Count, EnrolledSpeakers = voices.Voices.Count, RefusedEnrollments = refused, SpeakersWithTooLittleAudio = tooLittle,
            GenuineProbes = probes.Count(p => p.TrueVoice is not null), ImpostorProbes = probes.Count(p => p.TrueVoice is null),
            ProbesWithoutSpeaker = withoutSpeaker,
            MeanEnrollmentSpeechSeconds = enrolledSpeech.Count == 0 ? 0 : Math.Round(enrolledSpeech.Average(), 2),
            MeanProbeSeconds = probeSets.Count == 0 ? 0 : Math.Round(probeSets.Average(p => p.Utterances.Sum(u => u.Seconds)), 2),
            AtThreshold = At(probes, options.Threshold), Chosen = chosen, ChosenForFalseAcceptRate = options.ChooseForFalseAcceptRate, Sweep = sweep,
        };
    }

    private static EnrollmentSource Source(Utterance u) => new(u.Path, ct => WavReader.ReadBlocksAsync(u.Path, cancellationToken: ct));

    /// <summary>Consecutive utterances joined until each group has at least <paramref name="seconds"/> of audio; a last short group joins the one before.</summary>
    private static List<List<Utterance>> Groups(List<Utterance> utterances, double seconds)
    {
        var groups = new List<List<Utterance>>();
        var current = new List<Utterance>();
        foreach (var u in utterances)
        {
            current.Add(u);
            if (current.Sum(x => x.Seconds) >= seconds) { groups.Add(current); current = []; }
        }
        if (current.Count > 0)
        {
            if (groups.Count > 0 && current.Sum(x => x.Seconds) < seconds / 2) groups[^1].AddRange(current);
            else groups.Add(current);
        }
        return groups;
    }

    private static VoiceprintOperatingPoint At(IReadOnlyList<Probe> probes, double threshold)
    {
        int genuine = 0, impostor = 0, correct = 0, wrong = 0, falseAccepts = 0;
        foreach (var p in probes)
        {
            var named = p.Voice is not null && p.Score >= threshold;
            if (p.TrueVoice is null)
            {
                impostor++;
                if (named) falseAccepts++;
            }
            else
            {
                genuine++;
                if (named && p.Voice == p.TrueVoice) correct++;
                else if (named) wrong++;
            }
        }
        return new VoiceprintOperatingPoint(threshold, Ratio(correct, genuine), Ratio(wrong, genuine), Ratio(falseAccepts, impostor), correct, wrong, falseAccepts);
    }

    private static double Ratio(int a, int b) => b == 0 ? 0 : Math.Round((double)a / b, 4);

    /// <summary>The report as markdown: the counts, the operating point(s) and the sweep.</summary>
    public static string Markdown(VoiceprintEvaluationReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"Voiceprints: {r.Model} {r.ModelVersion}, {r.Manifest} of {string.Join(", ", r.Sets.Select(Path.GetFileName))}\n\n");
        sb.Append(c, $"- speakers: {r.Speakers}; enrolled {r.EnrolledSpeakers} (mean {r.MeanEnrollmentSpeechSeconds:F1} s of detected speech); ");
        sb.Append(c, $"refused enrolments: {(r.RefusedEnrollments.Count == 0 ? "none" : string.Join(", ", r.RefusedEnrollments.Select(x => $"{x.Value} {x.Key}")))}; ");
        sb.Append(c, $"too little audio to enrol: {r.SpeakersWithTooLittleAudio}\n");
        sb.Append(c, $"- probes: {r.GenuineProbes} of enrolled speakers, {r.ImpostorProbes} of speakers not enrolled (mean {r.MeanProbeSeconds:F1} s of audio); {r.ProbesWithoutSpeaker} without any speaker found\n\n");
        sb.Append("| threshold | identification accuracy | misidentified | false-accept rate |\n| --- | --- | --- | --- |\n");
        void Row(VoiceprintOperatingPoint p, string note) => sb.Append(c,
            $"| {p.Threshold:F2}{note} | {p.IdentificationAccuracy:P1} ({p.Correct}) | {p.MisidentificationRate:P1} ({p.Wrong}) | {p.FalseAcceptRate:P1} ({p.FalseAccepts}) |\n");
        Row(r.AtThreshold, " (given)");
        if (r.Chosen is { } chosen) Row(chosen, string.Create(c, $" (lowest with FAR <= {r.ChosenForFalseAcceptRate:P0})"));
        foreach (var p in r.Sweep) Row(p, "");
        return sb.ToString();
    }
}
