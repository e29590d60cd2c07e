using MtlBatch.Inference.Benchmarks;

namespace MtlBatch.Inference.Tests;

public class BenchmarkReportTests
{
    private static BenchmarkMeasurement Measurement(double ctcAlone) => new()
    {
        AudioSeconds = 600, DecodeSeconds = 1, ModelSeconds = 6, CtcSeconds = 3, CtcAloneSeconds = ctcAlone, PostSeconds = 2, WriteSeconds = 0.5,
        EndToEndSeconds = 10, PeakRssMegabytes = 300, PeakRssBeforeWriteMegabytes = 290, Words = 100, Device = "cpu",
    };

    [Fact]
    public void The_decoder_alone_is_shown_with_its_share_of_the_analysis()
    {
        var markdown = BenchmarkReport.Markdown([(10, Measurement(2))], "mtl-small", "9.9.9", DateTimeOffset.UnixEpoch);

        // 600 s / 2 s = 300x; 2 / (6 + 2 + 2) = 20 %. In the pipeline the same decoder measured 600 / 3 = 200x.
        Assert.Contains("| 9.9.9 | 10 min | 600x | 100x | 200x | 300x (20 %) | 300x | 1200x | **60x** (10.0 s) | 290 / 300 MB | 100 |", markdown);
        Assert.Equal(0.2, BenchmarkReport.DecoderShare(Measurement(2)), 9);
    }

    [Fact]
    public void A_size_without_the_decoder_alone_pass_says_so()
    {
        var markdown = BenchmarkReport.Markdown([(600, Measurement(0))], "mtl-small", "9.9.9", DateTimeOffset.UnixEpoch);
        Assert.Contains("| 200x | - | 300x |", markdown);
        Assert.Equal(0, BenchmarkReport.DecoderShare(Measurement(0)));
    }
}
