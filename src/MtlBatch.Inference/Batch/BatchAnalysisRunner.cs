using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.PostProcessing;

namespace MtlBatch.Inference.Batch;

/// <summary>Writes one recording's result set into a folder (result.json last). The CLI passes the Reports renderer.</summary>
public delegate Task ResultSetWriter(AnalysisResult result, string directory, CancellationToken cancellationToken);

/// <summary>What happened to one input of a batch.</summary>
public sealed record BatchItemOutcome
{
    public required string Name { get; init; }
    public required string OutputDirectory { get; init; }
    public bool Succeeded => ErrorCode is null;
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public double DurationSeconds { get; init; }
    public int Words { get; init; }
    public int Speakers { get; init; }
    public string? Device { get; init; }
    public double RealtimeFactor { get; init; }
}

/// <summary>Progress of a batch, for the CLI display.</summary>
public interface IBatchProgress
{
    void ItemStarted(string name);
    void ItemProgress(string name, double fraction);
    void ItemCompleted(BatchItemOutcome outcome);
}

/// <summary>
/// Runs <c>mtlbatch analyze</c>: enumerates the inputs (file, folder or archive), probes, decodes and analyses each one
/// and writes its result set to OUT/&lt;relative path without extension&gt;/. A failing input gets an error.json there
/// and the batch goes on.
/// </summary>
/// <param name="voices">When set, diarized speakers are named after enrolled voices (docs/voiceprints.md) before the set is written.</param>
public sealed class BatchAnalysisRunner(AudioInputs inputs, AudioDecoder decoder, SpeechAnalyzer analyzer, ResultSetWriter writer,
    ILogger<BatchAnalysisRunner>? logger = null, Voices.VoiceIdentification? voices = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<BatchAnalysisRunner>.Instance;

    public async Task<IReadOnlyList<BatchItemOutcome>> RunAsync(string input, string outputRoot, AnalysisOptions options, IBatchProgress? progress,
        CancellationToken cancellationToken)
    {
        options.Validate();
        var outcomes = new List<BatchItemOutcome>();
        var usedFolders = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in inputs.EnumerateAsync(input, cancellationToken).ConfigureAwait(false))
        {
            using (item)
            {
                var folder = OutputFolder(outputRoot, item.RelativeName, usedFolders);
                progress?.ItemStarted(item.RelativeName);
                var outcome = await AnalyzeOneAsync(item, folder, options, progress, cancellationToken).ConfigureAwait(false);
                outcomes.Add(outcome);
                progress?.ItemCompleted(outcome);
            }
        }
        return outcomes;
    }

    /// <summary>OUT/&lt;relative name without extension&gt;; two inputs differing only by extension keep it (a.wav -> a_wav).</summary>
    internal static string OutputFolder(string outputRoot, string relativeName, HashSet<string> used)
    {
        var parts = relativeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var last = parts[^1];
        var stem = Path.GetFileNameWithoutExtension(last);
        parts[^1] = string.IsNullOrEmpty(stem) ? last : stem;
        var relative = string.Join('/', parts);
        if (!used.Add(relative))
        {
            parts[^1] = last.Replace('.', '_');
            relative = string.Join('/', parts);
            used.Add(relative);
        }
        return Path.Combine([outputRoot, .. relative.Split('/')]);
    }

    private async Task<BatchItemOutcome> AnalyzeOneAsync(AudioInput item, string folder, AnalysisOptions options, IBatchProgress? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (item.Error is { } inputError) throw inputError.ToException();
            var itemProgress = new Progress<double>(f => progress?.ItemProgress(item.RelativeName, f));
            var (result, media) = await Processing.RecordingFileAnalysis.AnalyzeAsync(analyzer, decoder, item.LocalPath!, item.RelativeName, options,
                itemProgress, _logger, cancellationToken).ConfigureAwait(false);

            if (voices is not null) result = voices.Apply(result);
            if (options.Redaction.RedactedAudio && result.Redaction is { } redaction)
            {
                // Before result.json, which lists it; the audio is decoded again (mixed) rather than kept from the analysis.
                Directory.CreateDirectory(folder);
                await RedactedAudio.WriteAsync(Path.Combine(folder, ResultSchema.Files.RedactedAudio), decoder.DecodeAsync(media, null, cancellationToken),
                    redaction.Spans, cancellationToken).ConfigureAwait(false);
                result = result with { Redaction = redaction with { Audio = ResultSchema.Files.RedactedAudio } };
            }
            else if (File.Exists(Path.Combine(folder, ResultSchema.Files.RedactedAudio)))
            {
                // An earlier run's redacted audio does not belong to this result set.
                File.Delete(Path.Combine(folder, ResultSchema.Files.RedactedAudio));
            }
            await writer(result, folder, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Analysed {Recording}: {Duration:F1} s, {Words} words, {Speakers} speakers on {Device} at {Realtime:F1}x realtime -> {Folder}",
                item.RelativeName, result.Recording.DurationSeconds, result.Transcript.Words.Count, result.Speakers.Count, result.Processing.Device,
                result.Processing.RealtimeFactor, folder);
            return new BatchItemOutcome
            {
                Name = item.RelativeName, OutputDirectory = folder, DurationSeconds = result.Recording.DurationSeconds,
                Words = result.Transcript.Words.Count, Speakers = result.Speakers.Count, Device = result.Processing.Device,
                RealtimeFactor = result.Processing.RealtimeFactor,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var (code, message) = ex switch
            {
                MtlBatchException m => (m.Code, m.Message),
                FileNotFoundException f => (ErrorCodes.UnsupportedMedia, f.Message),
                _ => (ErrorCodes.InferenceFailed, ex.Message),
            };
            if (ex is MtlBatchException) _logger.LogWarning("Cannot analyse {Recording}: [{Code}] {Message}", item.RelativeName, code, message);
            else _logger.LogError(ex, "Analysing {Recording} failed: [{Code}] {Message}", item.RelativeName, code, message);
            await WriteErrorAsync(folder, new ErrorRecord
            {
                Recording = item.RelativeName, Code = code, Message = message, ModelVersion = analyzer.Model.Version, Attempts = 1, FailedAt = DateTimeOffset.UtcNow,
            }, cancellationToken).ConfigureAwait(false);
            return new BatchItemOutcome { Name = item.RelativeName, OutputDirectory = folder, ErrorCode = code, ErrorMessage = message, Device = analyzer.Device };
        }
        finally
        {
            _logger.LogDebug("{Recording} took {Elapsed}", item.RelativeName, clock.Elapsed);
        }
    }

    private static async Task WriteErrorAsync(string folder, ErrorRecord error, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        await MtlJson.WriteFileAsync(Path.Combine(folder, ResultSchema.Files.Error), error, cancellationToken).ConfigureAwait(false);
    }
}
