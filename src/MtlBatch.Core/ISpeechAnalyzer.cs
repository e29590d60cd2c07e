namespace MtlBatch.Core;

/// <summary>
/// Runs the multi-task model over one recording's decoded audio (16 kHz mono float samples in [-1, 1],
/// streamed in blocks of any size) and assembles the full result. Implemented in MtlBatch.Inference;
/// used by the CLI and by the pipeline's inference handler. One instance owns one ONNX Runtime session.
/// </summary>
public interface ISpeechAnalyzer
{
    /// <summary>Execution provider that runs the model: "cpu" or "cuda".</summary>
    string Device { get; }
    ModelInfo Model { get; }

    Task<AnalysisResult> AnalyzeAsync(
        IAsyncEnumerable<float[]> samples,
        RecordingInfo recording,
        AnalysisOptions options,
        IProgress<double>? progress,
        CancellationToken cancellationToken);

    /// <summary>
    /// Analyses each channel on its own as one known speaker (<c>ch1</c>, <c>ch2</c>, ..., with
    /// <see cref="AnalysisOptions.ChannelRoles"/>) and merges them in time order. <paramref name="channels"/> opens one
    /// sample stream per channel; they are consumed one after another. Analyzers that cannot do this throw
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    Task<AnalysisResult> AnalyzeChannelsAsync(
        IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<float[]>>> channels,
        RecordingInfo recording,
        AnalysisOptions options,
        IProgress<double>? progress,
        CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not analyse channels separately.");
}
