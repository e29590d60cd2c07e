using MtlBatch.Cli;

namespace MtlBatch.Inference.Tests;

/// <summary>How the CLI fits text into columns and decides on colour.</summary>
public sealed class ConsoleOutputTests
{
    [Fact]
    public void Names_that_fit_are_kept_whole()
    {
        Assert.Equal("conversation.wav", ConsoleText.ElideMiddle("conversation.wav", 16));
    }

    [Fact]
    public void Long_names_are_elided_in_the_middle_keeping_both_ends()
    {
        const string name = "calls/2026/november/customer-service/day1/conversation.wav";
        var shown = ConsoleText.ElideMiddle(name, 30);
        Assert.Equal(30, shown.Length);
        Assert.Equal("calls/2026/nov…onversation.wav", shown);
    }

    [Theory]
    [InlineData(false, null, "xterm-256color", true)]
    [InlineData(true, null, "xterm-256color", false)]
    [InlineData(false, "1", "xterm-256color", false)]
    [InlineData(false, null, "dumb", false)]
    public void Log_colour_only_on_a_terminal(bool redirected, string? noColor, string? term, bool colour)
    {
        Assert.Equal(colour, CliLogging.UseColour(redirected, noColor, term));
    }
}
