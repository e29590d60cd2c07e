using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Processing;
using MtlBatch.Reports;

namespace MtlBatch.Inference.Batch;

/// <summary>What happened to one input of a batch.</summary>
internal sealed record BatchItemOutcome
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
internal interface IBatchProgress
{
    void ItemStarted(string name);
    void ItemProgress(string name, double fraction);
    void ItemCompleted(BatchItemOutcome outcome);
}

/// <summary>
/// Runs <c>mtlbatch analyze</c>: enumerates the inputs (file, folder or archive) and puts each one through the
/// <see cref="RecordingProcessor"/> into OUT/&lt;relative path&gt;/ (a <see cref="FolderResultSink"/>).
/// A failing input gets an error.json there and the batch goes on.
/// </summary>
/// <param name="voices">When set, diarized speakers are named after enrolled voices (docs/voiceprints.md) before the set is written.</param>
internal sealed class BatchAnalysisRunner(AudioInputs inputs, AudioDecoder decoder, RecordingProcessor processor,
    ILogger<BatchAnalysisRunner>? logger = null, Voices.VoiceIdentification? voices = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<BatchAnalysisRunner>.Instance;

    public async Task<IReadOnlyList<BatchItemOutcome>> RunAsync(string input, string outputRoot, AnalysisOptions options, IBatchProgress? progress,
        CancellationToken cancellationToken)
    {
        options.Validate();
        var outcomes = new List<BatchItemOutcome>();
        await foreach (var item in inputs.EnumerateAsync(input, cancellationToken).ConfigureAwait(false))
        {
            using (item)
            {
                var folder = OutputFolder(outputRoot, item.RelativeName);
                progress?.ItemStarted(item.RelativeName);
                var outcome = await AnalyzeOneAsync(item, folder, options, progress, cancellationToken).ConfigureAwait(false);
                outcomes.Add(outcome);
                progress?.ItemCompleted(outcome);
            }
        }
        return outcomes;
    }

    /// <summary>
    /// OUT/&lt;relative name&gt;/, the extension kept: the layout of the pipeline's <c>results/{recording}/</c>, so <c>a.mp3</c>
    /// and <c>a.wav</c> never share a folder and a script reads both the same way.
    /// </summary>
    internal static string OutputFolder(string outputRoot, string relativeName) =>
        Path.Combine([outputRoot, .. relativeName.Split('/', StringSplitOptions.RemoveEmptyEntries)]);

    private async Task<BatchItemOutcome> AnalyzeOneAsync(AudioInput item, string folder, AnalysisOptions options, IBatchProgress? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var sink = new FolderResultSink(folder);
        try
        {
            if (item.Error is { } inputError) throw inputError.ToException();
            var itemProgress = new Progress<double>(f => progress?.ItemProgress(item.RelativeName, f));
            var audio = await RecordingAudio.OpenFileAsync(decoder, item.LocalPath!, item.RelativeName, cancellationToken).ConfigureAwait(false);
            ResultFinisher? finish = voices is null ? null : (r, _) => ValueTask.FromResult(voices.Apply(r));
            var result = await processor.ProcessAsync(audio, options, sink, folder, finish, itemProgress, cancellationToken).ConfigureAwait(false);
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
            var error = processor.ErrorRecordFor(item.RelativeName, ex);
            if (ex is MtlBatchException) _logger.LogWarning("Cannot analyse {Recording}: [{Code}] {Message}", item.RelativeName, error.Code, error.Message);
            else _logger.LogError(ex, "Analysing {Recording} failed: [{Code}] {Message}", item.RelativeName, error.Code, error.Message);
            await sink.WriteErrorAsync(error, cancellationToken).ConfigureAwait(false);
            return new BatchItemOutcome
            {
                Name = item.RelativeName, OutputDirectory = folder, ErrorCode = error.Code, ErrorMessage = error.Message, Device = processor.Analyzer.Device,
            };
        }
        finally
        {
            _logger.LogDebug("{Recording} took {Elapsed}", item.RelativeName, clock.Elapsed);
        }
    }
}
