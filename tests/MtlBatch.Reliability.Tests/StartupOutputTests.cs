using MtlBatch.Inference;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// Issue 10: what a new user sees. The real <c>mtlbatch analyze</c> as a child process, output redirected as in a log file or
/// CI: no native ONNX Runtime error text about CUDA, no ANSI colour codes, exactly one device line, one line per input, and
/// names that are not broken in the summary table.
/// </summary>
public sealed class StartupOutputTests
{
    [Fact]
    public void Analyze_on_a_machine_without_cuda_starts_quietly_with_one_device_line_and_no_colour_codes()
    {
        var output = RepoPaths.NewTempFolder("mtlbatch-startup");
        try
        {
            var sample = Path.Combine(RepoPaths.Root, "samples", "conversation.wav");
            // A terminal-looking TERM: colour must be switched off because the output is redirected, not because of TERM.
            var run = Tools.RunCli(["analyze", sample, "--out", output, "--model", RepoPaths.Model, "--beam", "1"],
                new Dictionary<string, string?> { ["TERM"] = "xterm-256color" });
            var all = run.Stdout + run.Stderr;
            Assert.True(run.ExitCode == 0, all);

            Assert.DoesNotContain("provider_bridge", all, StringComparison.Ordinal);
            Assert.DoesNotContain("libcublas", all, StringComparison.Ordinal);
            Assert.DoesNotContain("\u001b", all, StringComparison.Ordinal);
            var lines = all.Split('\n');
            var deviceLine = Assert.Single(lines, l => l.Contains("device: ", StringComparison.Ordinal));
            if (CudaLibraries.FindMissing().Count > 0)
                Assert.Contains("device: cpu (CUDA libraries not found)", deviceLine, StringComparison.Ordinal);

            // Redirected progress: one line per input, no percentages; the summary row holds the whole name.
            var stdout = run.Stdout.Split('\n');
            Assert.Single(stdout, l => l.StartsWith("done conversation.wav:", StringComparison.Ordinal));
            Assert.DoesNotContain(stdout, l => l.Contains('%', StringComparison.Ordinal));
            Assert.Contains(stdout, l => l.StartsWith("│ conversation.wav ", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
