using MtlBatch.Inference.Batch;

namespace MtlBatch.Inference.Tests;

public class BatchAnalysisRunnerTests
{
    [Fact]
    public void Output_folders_mirror_relative_names_with_their_extension_like_the_pipelines_results()
    {
        Assert.Equal(Path.Combine("/out", "batch", "calls", "a.mp3"), BatchAnalysisRunner.OutputFolder("/out", "batch/calls/a.mp3"));
        Assert.Equal(Path.Combine("/out", "b.wav"), BatchAnalysisRunner.OutputFolder("/out", "b.wav"));
        Assert.Equal(Path.Combine("/out", "noext"), BatchAnalysisRunner.OutputFolder("/out", "noext"));
        // Inputs differing only by extension get separate folders without renaming either.
        Assert.NotEqual(BatchAnalysisRunner.OutputFolder("/out", "calls/a.wav"), BatchAnalysisRunner.OutputFolder("/out", "calls/a.mp3"));
    }
}
