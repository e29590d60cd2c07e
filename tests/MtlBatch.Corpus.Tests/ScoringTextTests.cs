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

public class GroupSpecTests
{
    [Fact]
    public void A_plain_field_groups_by_value()
    {
        var g = GroupSpec.Parse("phone");
        Assert.Equal("phone", g.Name);
        Assert.Equal("cellphone", g.Classify("cellphone"));
    }

    [Fact]
    public void Named_ranges_group_values_between_their_bounds()
    {
        var g = GroupSpec.Parse("utterance:keywords=001..005; spontaneous=006..010");
        Assert.Equal("utterance", g.Field);
        Assert.Equal("utterance:keywords/spontaneous", g.Name);
        Assert.Equal("keywords", g.Classify("001"));
        Assert.Equal("keywords", g.Classify("005"));
        Assert.Equal("spontaneous", g.Classify("006"));
        Assert.Equal("spontaneous", g.Classify("010"));
        Assert.Equal(GroupSpec.Other, g.Classify("000"));
        Assert.Equal(GroupSpec.Other, g.Classify("011"));
    }

    [Theory]
    [InlineData("utterance:")]
    [InlineData("utterance:keywords")]
    [InlineData("utterance:keywords=001-005")]
    public void Malformed_ranges_are_refused(string spec) => Assert.Throws<FormatException>(() => GroupSpec.Parse(spec));
}
