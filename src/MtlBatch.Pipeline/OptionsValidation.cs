using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// Start-up validation of the pipeline's options (registered with <c>ValidateOnStart</c>: the Functions host runs it
/// when it starts; <c>mtlbatch worker</c> calls <see cref="ValidateAll"/> before it resolves anything else). A
/// misconfiguration stops the process with one message per bad setting, instead of failing every job later.
/// </summary>
public static class PipelineOptionsValidation
{
    /// <summary>Reads every validated options value and throws one <see cref="OptionsValidationException"/> listing all failures.</summary>
    public static void ValidateAll(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var failures = new List<string>();
        foreach (var read in new Func<object>[]
                 {
                     () => services.GetRequiredService<IOptions<AnalysisOptions>>().Value,
                     () => services.GetRequiredService<IOptions<PipelineOptions>>().Value,
                     () => services.GetRequiredService<IOptions<ResilienceOptions>>().Value,
                     () => services.GetRequiredService<IOptions<WorkerOptions>>().Value,
                     () => services.GetRequiredService<IOptions<ReprocessOptions>>().Value,
                     () => services.GetRequiredService<IOptions<VoiceprintStoreOptions>>().Value,
                     () => services.GetRequiredService<IOptions<Inference.Voices.VoiceIdentificationOptions>>().Value,
                     () => services.GetRequiredService<IOptions<RecordingFeatureOptions>>().Value,
                 })
        {
            try { _ = read(); }
            catch (OptionsValidationException ex) { failures.AddRange(ex.Failures); }
        }
        if (failures.Count > 0) throw new OptionsValidationException(Options.DefaultName, typeof(PipelineOptions), failures);
    }

    /// <summary>One line per failure, each naming its setting (for the CLI's error output).</summary>
    public static string Describe(OptionsValidationException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return string.Join(Environment.NewLine, exception.Failures.SelectMany(f => f.Split("; ", StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal));
    }

    internal static void Add(ICollection<string> failures, bool ok, string failure)
    {
        if (!ok) failures.Add(failure);
    }

    /// <summary>"Section:Setting = value: reason" from an options class's range check.</summary>
    internal static string Describe(string section, ArgumentOutOfRangeException ex)
    {
        var reason = ex.Message.Split('\n')[0].Trim().Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
        return $"{section}:{ex.ParamName} = {ex.ActualValue}: {reason}";
    }

    internal static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}

/// <summary>
/// <see cref="AnalysisOptions"/>: the ranges of <see cref="AnalysisOptions.Validate"/>, and an explicitly configured
/// <c>Analysis:ModelPath</c> must be an existing file (an unset path means the bundled model, which the process that
/// runs inference finds or reports when it loads it).
/// </summary>
public sealed class AnalysisOptionsValidator : IValidateOptions<AnalysisOptions>
{
    public ValidateOptionsResult Validate(string? name, AnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        try { options.Validate(); }
        catch (ArgumentOutOfRangeException ex) { failures.Add(PipelineOptionsValidation.Describe(AnalysisOptions.SectionName, ex)); }
        if (!string.IsNullOrWhiteSpace(options.ModelPath) && !File.Exists(options.ModelPath))
            failures.Add($"{AnalysisOptions.SectionName}:ModelPath: the model file '{options.ModelPath}' does not exist");
        PipelineOptionsValidation.Add(failures, options.ChannelRoles.Count == 0 || options.Channels == ChannelMode.Split,
            $"{AnalysisOptions.SectionName}:ChannelRoles = {string.Join(',', options.ChannelRoles)}: needs Analysis:Channels = Split");
        return PipelineOptionsValidation.Result(failures);
    }
}

/// <summary>Ranges of <see cref="PipelineOptions"/>.</summary>
public sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        PipelineOptionsValidation.Add(failures, options.MaxDequeueCount >= 1, $"Pipeline:MaxDequeueCount = {options.MaxDequeueCount}: must be >= 1");
        PipelineOptionsValidation.Add(failures, options.TruncationToleranceSeconds >= 0, $"Pipeline:TruncationToleranceSeconds = {options.TruncationToleranceSeconds}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.TruncationToleranceRatio is >= 0 and < 1, $"Pipeline:TruncationToleranceRatio = {options.TruncationToleranceRatio}: must be >= 0 and < 1");
        return PipelineOptionsValidation.Result(failures);
    }
}

/// <summary>Ranges of <see cref="ResilienceOptions"/> (Polly refuses the rest only when the first job runs).</summary>
public sealed class ResilienceOptionsValidator : IValidateOptions<ResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, ResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        PipelineOptionsValidation.Add(failures, options.StorageMaxRetries >= 0, $"Resilience:StorageMaxRetries = {options.StorageMaxRetries}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.EventsMaxRetries >= 0, $"Resilience:EventsMaxRetries = {options.EventsMaxRetries}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.InferenceTimeout >= TimeSpan.FromMilliseconds(10), $"Resilience:InferenceTimeout = {options.InferenceTimeout}: must be >= 10 ms");
        PipelineOptionsValidation.Add(failures, options.BreakerFailureRatio is > 0 and <= 1, $"Resilience:BreakerFailureRatio = {options.BreakerFailureRatio}: must be > 0 and <= 1");
        PipelineOptionsValidation.Add(failures, options.BreakerMinimumThroughput >= 2, $"Resilience:BreakerMinimumThroughput = {options.BreakerMinimumThroughput}: must be >= 2");
        PipelineOptionsValidation.Add(failures, options.BreakerSamplingDuration >= TimeSpan.FromMilliseconds(500),
            $"Resilience:BreakerSamplingDuration = {options.BreakerSamplingDuration}: must be >= 500 ms");
        PipelineOptionsValidation.Add(failures, options.BreakerBreakDuration >= TimeSpan.FromMilliseconds(500),
            $"Resilience:BreakerBreakDuration = {options.BreakerBreakDuration}: must be >= 500 ms");
        return PipelineOptionsValidation.Result(failures);
    }
}

/// <summary>Ranges of <see cref="WorkerOptions"/>.</summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        PipelineOptionsValidation.Add(failures, options.PollInterval >= TimeSpan.Zero, $"Worker:PollInterval = {options.PollInterval}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.MessageLease >= TimeSpan.FromSeconds(1) && options.MessageLease <= TimeSpan.FromDays(7),
            $"Worker:MessageLease = {options.MessageLease}: must be between 1 s and 7 days");
        PipelineOptionsValidation.Add(failures, options.RetryDelay >= TimeSpan.Zero, $"Worker:RetryDelay = {options.RetryDelay}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.MaxConcurrentJobs is >= 1 and <= 32, $"Worker:MaxConcurrentJobs = {options.MaxConcurrentJobs}: must be 1-32");
        PipelineOptionsValidation.Add(failures, options.HttpPort is >= 0 and <= 65535, $"Worker:HttpPort = {options.HttpPort}: must be 0 (off) or a port 1-65535");
        return PipelineOptionsValidation.Result(failures);
    }
}

/// <summary><see cref="ReprocessOptions"/>: a schedule the timer (and the local worker) can run, and positive limits.</summary>
public sealed class ReprocessOptionsValidator : IValidateOptions<ReprocessOptions>
{
    public ValidateOptionsResult Validate(string? name, ReprocessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        PipelineOptionsValidation.Add(failures, ReprocessSchedule.TryParse(options.Schedule) is not null,
            $"Reprocess:Schedule = {options.Schedule}: must be a six-field NCRONTAB expression (seconds first, e.g. 0 0 * * * *)");
        PipelineOptionsValidation.Add(failures, options.MaxQueueLength >= 0, $"Reprocess:MaxQueueLength = {options.MaxQueueLength}: must be >= 0");
        PipelineOptionsValidation.Add(failures, options.MaxUploadsPerRun >= 1, $"Reprocess:MaxUploadsPerRun = {options.MaxUploadsPerRun}: must be >= 1");
        PipelineOptionsValidation.Add(failures, options.PageSize is >= 1 and <= 5000, $"Reprocess:PageSize = {options.PageSize}: must be 1-5000");
        // A queue message can be made invisible for at most 7 days.
        PipelineOptionsValidation.Add(failures, options.ThrottleDelay > TimeSpan.Zero && options.ThrottleDelay <= TimeSpan.FromDays(7),
            $"Reprocess:ThrottleDelay = {options.ThrottleDelay}: must be above 0 and at most 7 days");
        return PipelineOptionsValidation.Result(failures);
    }
}
