using MtlBatch.Inference.Batch;

namespace MtlBatch.Inference.Tests;

public class BatchAnalysisRunnerTests
{
    [Fact]
    public void Output_folders_mirror_relative_names_without_extension()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        Assert.Equal(Path.Combine("/out", "batch", "calls", "a"), BatchAnalysisRunner.OutputFolder("/out", "batch/calls/a.mp3", used));
        Assert.Equal(Path.Combine("/out", "b"), BatchAnalysisRunner.OutputFolder("/out", "b.wav", used));
        Assert.Equal(Path.Combine("/out", "noext"), BatchAnalysisRunner.OutputFolder("/out", "noext", used));
    }

    [Fact]
    public void Inputs_differing_only_by_extension_get_separate_folders()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        Assert.Equal(Path.Combine("/out", "calls", "a"), BatchAnalysisRunner.OutputFolder("/out", "calls/a.wav", used));
        Assert.Equal(Path.Combine("/out", "calls", "a_mp3"), BatchAnalysisRunner.OutputFolder("/out", "calls/a.mp3", used));
    }
}
