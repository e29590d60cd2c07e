using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>A model session that always fails (a CUDA fault, say): for poison, breaker and failure-recording tests.</summary>
public sealed class ThrowingAnalyzerSource : ISpeechAnalyzerSource, ISpeechAnalyzer
{
    private int _calls;
    public int Calls => _calls;
    public string Device => "cpu";
    public ModelInfo Model { get; } = new() { Name = "throwing", Version = "fault-1", Sha256 = new string('0', 64) };

    public ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ISpeechAnalyzer>(this);

    public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
        IProgress<double>? progress, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        throw new InvalidOperationException("simulated model session fault (CUDA error: an illegal memory access was encountered)");
    }
}
