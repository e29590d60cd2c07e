using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;
using MtlBatch.Inference.PostProcessing;
using MtlBatch.Reports;

namespace MtlBatch.Inference.Processing;

/// <summary>A step between the analysis and the written set (known voices, the pipeline's labels); returns the result to write.</summary>
public delegate ValueTask<AnalysisResult> ResultFinisher(AnalysisResult result, CancellationToken cancellationToken);

/// <summary>
/// The one path from a recording's audio to its result set: analysis (mixed or per channel, as the options say), then the
/// set written through an <see cref="IResultSetSink"/> (the redacted audio when asked, result.json last). <c>mtlbatch
/// analyze</c>, the pipeline's inference handler, <c>mtlbatch bench</c>, <c>mtlbatch eval</c> and the library's
/// <see cref="SpeechProcessor"/> all analyse through it, so channel handling, error codes and the result layout are the
/// same everywhere. Thread-safe. Over any <see cref="ISpeechAnalyzer"/> (the pipeline's tests put scripted ones under it);
/// stage timings are measured by <see cref="SpeechAnalyzer"/>, the production one.
/// </summary>
public sealed class RecordingProcessor(ISpeechAnalyzer analyzer, ILogger<RecordingProcessor>? logger = null)
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public ISpeechAnalyzer Analyzer => analyzer;

    /// <summary>
    /// Analyses the recording: per channel when <see cref="AnalysisOptions.Channels"/> is <see cref="ChannelMode.Split"/> and
    /// the audio has two or more channels, mixed otherwise (a split request on a mono recording is logged and analysed mixed).
    /// </summary>
    public Task<AnalysisResult> AnalyzeAsync(RecordingAudio audio, AnalysisOptions options, IProgress<double>? progress, StageTimings? timings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Channels == ChannelMode.Split && audio.Channels > 1)
        {
            var channels = Enumerable.Range(0, audio.Channels)
                .Select(c => (Func<CancellationToken, IAsyncEnumerable<float[]>>)(ct => audio.ReadAsync(c, ct))).ToList();
            return analyzer is SpeechAnalyzer timed
                ? timed.AnalyzeChannelsAsync(channels, audio.Recording, options, progress, timings, cancellationToken)
                : analyzer.AnalyzeChannelsAsync(channels, audio.Recording, options, progress, cancellationToken);
        }
        if (options.Channels == ChannelMode.Split)
            _logger.LogWarning("{Recording} has {Channels} channel(s); split channels need two or more, analysing it mixed{RolesNote}", audio.Recording.Name,
                audio.Recording.Channels, options.ChannelRoles.Count > 0 ? " without channel roles" : "");
        return analyzer is SpeechAnalyzer production
            ? production.AnalyzeAsync(audio.ReadAsync(null, cancellationToken), audio.Recording, options, progress, timings, cancellationToken)
            : analyzer.AnalyzeAsync(audio.ReadAsync(null, cancellationToken), audio.Recording, options, progress, cancellationToken);
    }

    /// <summary>
    /// Writes the result set through <paramref name="sink"/>: the redacted audio first when the options ask for it and the
    /// result has redacted spans (rendered from the mix in <paramref name="workDirectory"/>, then streamed to the sink), the
    /// documents, result.json last. Returns the result as written (its redaction block names the audio file).
    /// </summary>
    public async Task<AnalysisResult> WriteAsync(AnalysisResult result, RecordingAudio audio, AnalysisOptions options, IResultSetSink sink,
        string workDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(audio);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        if (!options.Redaction.RedactedAudio || result.Redaction is not { } redaction)
        {
            await ResultSetWriter.WriteAsync(result, sink, null, cancellationToken, _logger).ConfigureAwait(false);
            return result;
        }
        Directory.CreateDirectory(workDirectory);
        var redactedPath = Path.Combine(workDirectory, $".{ResultSchema.Files.RedactedAudio}.{Guid.NewGuid():N}");
        try
        {
            await RedactedAudio.WriteAsync(redactedPath, audio.ReadAsync(null, cancellationToken), redaction.Spans, cancellationToken).ConfigureAwait(false);
            result = result with { Redaction = redaction with { Audio = ResultSchema.Files.RedactedAudio } };
            var file = new ResultSetFile(ResultSchema.Files.RedactedAudio, async (destination, ct) =>
            {
                await using var source = new FileStream(redactedPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
                await source.CopyToAsync(destination, ct).ConfigureAwait(false);
            });
            await ResultSetWriter.WriteAsync(result, sink, [file], cancellationToken, _logger).ConfigureAwait(false);
            return result;
        }
        finally
        {
            if (File.Exists(redactedPath)) File.Delete(redactedPath);
        }
    }

    /// <summary><see cref="AnalyzeAsync"/>, then <paramref name="finish"/> (when given), then <see cref="WriteAsync"/>.</summary>
    public async Task<AnalysisResult> ProcessAsync(RecordingAudio audio, AnalysisOptions options, IResultSetSink sink, string workDirectory,
        ResultFinisher? finish, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var result = await AnalyzeAsync(audio, options, progress, null, cancellationToken).ConfigureAwait(false);
        if (finish is not null) result = await finish(result, cancellationToken).ConfigureAwait(false);
        return await WriteAsync(result, audio, options, sink, workDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The error record of a failed recording: its code from the exception's type (<see cref="ErrorCodes.FromException"/>).</summary>
    public ErrorRecord ErrorRecordFor(string recording, Exception exception, int attempts = 1) => new()
    {
        Recording = recording, Code = ErrorCodes.FromException(exception), Message = exception.Message, ModelVersion = analyzer.Model.Version,
        Attempts = attempts, FailedAt = DateTimeOffset.UtcNow,
    };
}
