using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

/// <summary>The spoken forms of what real dialogue text writes with digits, symbols and abbreviations.</summary>
public class TextNormalizerTests
{
    [Theory]
    [InlineData("It costs $12.50.", "it costs twelve dollars and fifty cents")]
    [InlineData("only $1 today", "only one dollar today")]
    [InlineData("$0.99 each", "ninety nine cents each")]
    [InlineData("a $1,250 deposit", "a one thousand two hundred and fifty dollars deposit")]
    [InlineData("revenue of $3.5 million", "revenue of three point five million dollars")]
    [InlineData("up to $2bn", "up to two billion dollars")]
    [InlineData("£20 or €5.05", "twenty pounds or five euros and five cents")]
    [InlineData("Margins grew 12.5% this year", "margins grew twelve point five percent this year")]
    [InlineData("50% off", "fifty percent off")]
    [InlineData("See you at 3:30 pm.", "see you at three thirty p m")]
    [InlineData("at 9am or 10 P.M.", "at nine a m or ten p m")]
    [InlineData("the 7:05 train", "the seven oh five train")]
    [InlineData("meet at 11:00", "meet at eleven o'clock")]
    [InlineData("12:00 p.m. works", "twelve p m works")]
    [InlineData("on March 3rd, 2024", "on march third twenty twenty four")]
    [InlineData("Due 3/14/2024", "due march fourteenth twenty twenty four")]
    [InlineData("since 2023-01-09", "since january ninth twenty twenty three")]
    [InlineData("the 21st of June", "the twenty first of june")]
    [InlineData("Sept. 30", "september thirtieth")]
    [InlineData("my 2nd and 100th visit", "my second and one hundredth visit")]
    [InlineData("back in the 1990s", "back in the nineteen nineties")]
    [InlineData("in 1905 and 2008", "in nineteen oh five and two thousand eight")]
    [InlineData("That was in 2019.", "that was in twenty nineteen")]
    [InlineData("pi is 3.1415", "pi is three point one four one five")]
    [InlineData("Dr. Patel will see you", "doctor patel will see you")]
    [InlineData("I live on Elm Dr. now", "i live on elm drive now")]
    [InlineData("Mr. and Mrs. Jones", "mister and missus jones")]
    [InlineData("12 Baker St. please", "twelve baker street please")]
    [InlineData("near St. Mary's hospital", "near saint mary's hospital")]
    [InlineData("Call 555-123-4567", "call five five five one two three four five six seven")]
    [InlineData("Call (212) 555-0199", "call two one two five five five zero one nine nine")]
    [InlineData("take 500 mg twice", "take five hundred milligrams twice")]
    [InlineData("3-4 times a day", "three to four times a day")]
    [InlineData("it was -5 degrees", "it was minus five degrees")]
    [InlineData("table for 2 at 7 pm", "table for two at seven p m")]
    [InlineData("OK, sounds good", "okay sounds good")]
    [InlineData("rooms, TVs, etc.", "rooms tvs et cetera")]
    [InlineData("No. 5 is mine", "number five is mine")]
    [InlineData("code 0042", "code zero zero four two")]
    [InlineData("Rock & roll", "rock and roll")]
    public void Numbers_money_times_dates_and_abbreviations_become_words(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData(1, "first")]
    [InlineData(12, "twelfth")]
    [InlineData(20, "twentieth")]
    [InlineData(33, "thirty third")]
    [InlineData(1000, "one thousandth")]
    public void Ordinals_are_spelled_as_spoken(long n, string expected) => Assert.Equal(expected, TextNormalizer.SpellOrdinal(n));

    [Theory]
    [InlineData(1999, "nineteen ninety nine")]
    [InlineData(1900, "nineteen hundred")]
    [InlineData(2000, "two thousand")]
    [InlineData(2024, "twenty twenty four")]
    public void Years_are_spelled_as_spoken(int year, string expected) => Assert.Equal(expected, TextNormalizer.SpellYear(year));

    [Fact]
    public void Normalised_text_is_a_fixed_point() =>
        Assert.All(new[] { "it costs twelve dollars and fifty cents", "see you at three thirty p m", "i'm fine" },
            t => Assert.Equal(t, TextNormalizer.Normalize(t)));
}
