using MtlBatch.Evaluation;

namespace MtlBatch.Corpus.Tests;

public class ScoringTextTests
{
    [Theory]
    [InlineData("Thank you, for CALLING!", "thank you for calling")]
    [InlineData("it\u2019s   'quoted'  o'clock", "it's quoted o'clock")]
    [InlineData("read(2) the(2)", "read the")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void One_normalisation_for_references_and_hypotheses(string? raw, string expected) =>
        Assert.Equal(expected, ScoringText.Normalize(raw));

    [Fact]
    public void Word_count_of_normalised_text()
    {
        Assert.Equal(0, ScoringText.WordCount(""));
        Assert.Equal(1, ScoringText.WordCount("yes"));
        Assert.Equal(3, ScoringText.WordCount("turn it off"));
    }
}
