using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

public class TextAndPhonemeTests
{
    [Theory]
    [InlineData("Hello, World!", "hello world")]
    [InlineData("It\u2019s  a   test -- really.", "it's a test really")]
    [InlineData("'quoted' words", "quoted words")]
    public void Normalize_keeps_letters_apostrophes_and_single_spaces(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("see U.S. history")]
    [InlineData("J. Smith called")]
    [InlineData("email me @ home")]
    [InlineData("24/7 support")]
    [InlineData("")]
    public void Normalize_drops_what_the_characters_cannot_represent(string input) => Assert.Null(TextNormalizer.Normalize(input));

    [Theory]
    [InlineData(7, "seven")]
    [InlineData(42, "forty two")]
    [InlineData(310, "three hundred and ten")]
    [InlineData(2005, "two thousand five")]
    [InlineData(1_000_000, "one million")]
    [InlineData(3_200_450_001, "three billion two hundred million four hundred and fifty thousand one")]
    public void Numbers_are_spelled_as_spoken(long n, string expected) => Assert.Equal(expected, TextNormalizer.SpellNumber(n));

    [Fact]
    public void Espeak_mnemonics_map_onto_the_fixed_inventory()
    {
        var mapped = Phonemizer.MapMnemonics("h_@_l_'oU D_'e@\nw_'V_n_d_3_f_@L");
        Assert.Equal(["h", "@", "l", "oU", "D", "e@", "w", "V", "n", "d", "3", "f", "@", "l"], mapped);
    }

    [Fact]
    public async Task Real_espeak_output_stays_inside_the_inventory()
    {
        var phonemes = await new Phonemizer(new ProcessRunner()).PhonemizeAsync("thank you for calling how can i help you today", CancellationToken.None);
        Assert.True(phonemes.Count > 20);
        Assert.All(phonemes, p => Assert.Contains(p, Phonemizer.Inventory.Skip(1)));
    }

    [Fact]
    public void Held_out_sentences_are_a_stable_minority()
    {
        var source = new SentenceSource(seed: 3, dialogueCount: 2000);
        var all = source.Dialogue.Concat(source.General).ToArray();
        var share = all.Count(SentenceSource.IsHeldOut) / (double)all.Length;
        Assert.InRange(share, 0.08, 0.16);
        Assert.True(source.General.Count > 1000, $"only {source.General.Count} general sentences: is the fortunes package installed?");
        Assert.Equal(all.Where(SentenceSource.IsHeldOut), new SentenceSource(seed: 3, dialogueCount: 2000).Dialogue.Concat(source.General).Where(SentenceSource.IsHeldOut));
    }
}
