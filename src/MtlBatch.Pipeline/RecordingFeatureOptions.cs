using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// Per-prefix analysis settings (section <c>Features</c>): channel split and roles, redaction and a custom vocabulary, for the recordings whose
/// path starts with a rule's <see cref="RecordingFeatureRule.Prefix"/> (the longest matching prefix wins). A path's first
/// segment plays the part of a container (<c>calls/</c>, <c>clinic/</c>). Recordings no rule matches use the
/// <c>Analysis</c> section (<c>Analysis:Channels</c>, <c>Analysis:ChannelRoles</c>, <c>Analysis:Redaction</c>).
/// Settings belong to the recording's path, not its job: after changing them, reprocess with <c>force</c>.
/// </summary>
public sealed class RecordingFeatureOptions
{
    public const string SectionName = "Features";

    public List<RecordingFeatureRule> Rules { get; set; } = [];

    /// <summary>The analysis options for <paramref name="recording"/>: <paramref name="defaults"/> with its rule's settings applied.</summary>
    public AnalysisOptions For(string recording, AnalysisOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(defaults);
        var rule = Match(recording);
        if (rule is null) return defaults;
        var options = defaults.Copy();
        if (rule.Channels is { } channels) options.Channels = channels;
        if (rule.ChannelRoles is { } roles) options.ChannelRoles = [.. roles];
        if (rule.Redaction is { } redaction) options.Redaction = redaction.Copy();
        return options;
    }

    /// <summary>The rule with the longest prefix of <paramref name="recording"/>, or null.</summary>
    public RecordingFeatureRule? Match(string recording) =>
        Rules.Where(r => !string.IsNullOrEmpty(r.Prefix) && recording.StartsWith(r.Prefix, StringComparison.Ordinal))
            .OrderByDescending(r => r.Prefix.Length).FirstOrDefault();
}

/// <summary>One rule of <see cref="RecordingFeatureOptions"/>; unset (null) settings keep the <c>Analysis</c> section's.</summary>
public sealed class RecordingFeatureRule
{
    /// <summary>Recording path prefix, e.g. <c>calls/</c> (case-sensitive, like blob names).</summary>
    public string Prefix { get; set; } = "";
    public ChannelMode? Channels { get; set; }
    /// <summary>Roles of channel 1, 2, ... (needs <see cref="ChannelMode.Split"/>).</summary>
    public List<string>? ChannelRoles { get; set; }
    public RedactionOptions? Redaction { get; set; }
    /// <summary>
    /// A custom vocabulary file for these recordings (one word or phrase per line, optional boost; docs/inference.md), instead
    /// of <c>Analysis:PostProcessing:Transcription:VocabularyPath</c>: product names for <c>calls/</c>, drug names for <c>clinic/</c>.
    /// </summary>
    public string? Vocabulary { get; set; }
    /// <summary>Boost of the vocabulary's lines that give none (default: <c>Analysis:PostProcessing:Transcription:VocabularyBoost</c>).</summary>
    public double? VocabularyBoost { get; set; }

    /// <summary>The rule's vocabulary choice, or null when it keeps the default decoder.</summary>
    public VocabularySelection? VocabularySelection => string.IsNullOrWhiteSpace(Vocabulary) ? null : new VocabularySelection(Vocabulary, VocabularyBoost);
}

/// <summary>A custom vocabulary file and its default boost (null = the configured default).</summary>
public sealed record VocabularySelection(string Path, double? Boost);

/// <summary>
/// Start-up validation of <see cref="RecordingFeatureOptions"/>: every rule has a distinct prefix, valid roles only with
/// split channels, known redaction categories and an existing phrase file.
/// </summary>
public sealed class RecordingFeatureOptionsValidator(IOptions<AnalysisOptions> analysis) : IValidateOptions<RecordingFeatureOptions>
{
    public ValidateOptionsResult Validate(string? name, RecordingFeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        AnalysisOptions defaults;
        try { defaults = analysis.Value; }
        catch (OptionsValidationException) { defaults = new AnalysisOptions(); } // its own validator reports the Analysis section
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var at = $"{RecordingFeatureOptions.SectionName}:Rules:{i}";
            PipelineOptionsValidation.Add(failures, !string.IsNullOrEmpty(rule.Prefix), $"{at}:Prefix: must not be empty (use the Analysis section for every recording)");
            PipelineOptionsValidation.Add(failures, string.IsNullOrEmpty(rule.Prefix) || seen.Add(rule.Prefix), $"{at}:Prefix = {rule.Prefix}: another rule has the same prefix");
            var resolved = options.For(rule.Prefix, defaults);
            foreach (var failure in Check(() => AnalysisOptions.ValidateRoles(resolved.ChannelRoles, "ChannelRoles"), at)
                         .Concat(Check(resolved.Redaction.Validate, at)))
                failures.Add(failure);
            PipelineOptionsValidation.Add(failures, resolved.ChannelRoles.Count == 0 || resolved.Channels == ChannelMode.Split,
                $"{at}:ChannelRoles = {string.Join(',', resolved.ChannelRoles)}: needs Channels = Split");
            PipelineOptionsValidation.Add(failures, string.IsNullOrWhiteSpace(rule.Vocabulary) || File.Exists(rule.Vocabulary),
                $"{at}:Vocabulary = {rule.Vocabulary}: the file does not exist");
            PipelineOptionsValidation.Add(failures, rule.VocabularyBoost is null || double.IsFinite(rule.VocabularyBoost.Value),
                $"{at}:VocabularyBoost = {rule.VocabularyBoost}: must be a finite number");
        }
        return PipelineOptionsValidation.Result(failures);
    }

    private static IEnumerable<string> Check(Action validate, string at)
    {
        try { validate(); }
        catch (ArgumentOutOfRangeException ex) { return [PipelineOptionsValidation.Describe(at, ex)]; }
        return [];
    }
}
