using System.Text;
using MtlBatch.Core;
using MtlBatch.Inference.PostProcessing;
using MtlBatch.Reports;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

public class TranscriptRedactorTests
{
    private static readonly RedactionCategory[] All = [RedactionCategory.Card, RedactionCategory.Phone, RedactionCategory.Email, RedactionCategory.Numbers];

    private static List<(string Words, string Label)> Find(string text, IEnumerable<RedactionCategory>? categories = null, string[]? phrases = null,
        bool luhn = false)
    {
        var words = text.Split(' ');
        var redactor = new TranscriptRedactor(categories ?? All, phrases ?? [], luhn);
        return redactor.Find(words).Select(m => (string.Join(' ', words[m.First..(m.Last + 1)]), m.Label)).ToList();
    }

    [Fact]
    public void A_spelled_out_card_number_is_one_card_match()
    {
        // 4111 1111 1111 1111 (passes Luhn) as the model emits it, inside a sentence.
        var digits = "four " + string.Join(' ', Enumerable.Repeat("one", 15));
        Assert.Equal([(digits, TranscriptRedactor.Card)], Find($"my card number is {digits} thanks"));
        Assert.Equal([(digits, TranscriptRedactor.Card)], Find($"my card number is {digits} thanks", luhn: true));
    }

    [Fact]
    public void The_luhn_check_is_optional()
    {
        var digits = "four " + string.Join(' ', Enumerable.Repeat("one", 14)) + " two"; // 4111111111111112 fails Luhn
        Assert.False(TranscriptRedactor.Luhn("4111111111111112"));
        Assert.True(TranscriptRedactor.Luhn("4111111111111111"));
        Assert.Equal([(digits, TranscriptRedactor.Card)], Find($"it is {digits}"));
        // With the check on, 16 digits that are no card are still a number (and too long for a phone number).
        Assert.Equal([(digits, TranscriptRedactor.Number)], Find($"it is {digits}", luhn: true));
        Assert.Empty(Find($"it is {digits}", [RedactionCategory.Card, RedactionCategory.Phone], luhn: true));
    }

    [Theory]
    [InlineData("call me on oh seven seven double oh nine one two three four five please", "seven seven double oh nine one two three four five", "PHONE")]
    [InlineData("the number is five five five twelve thirty four ok", "five five five twelve thirty four", "PHONE")]
    [InlineData("dial 0 20 7946 0958 now", "0 20 7946 0958", "PHONE")]
    [InlineData("i have two kids", "two", "NUMBER")]
    [InlineData("room four oh two", "four oh two", "NUMBER")]
    public void Digit_runs_are_classified_by_their_length(string text, string expected, string label) =>
        Assert.Equal([(expected, label)], Find(text));

    [Fact]
    public void Oh_is_a_zero_only_between_digits()
    {
        Assert.Empty(Find("oh i see", [RedactionCategory.Numbers]));
        Assert.Equal([("nine", TranscriptRedactor.Number)], Find("oh nine oh", [RedactionCategory.Numbers]));
        Assert.Equal("7700900123", TranscriptRedactor.DigitRuns("seven seven double oh nine oh oh one two three".Split(' ')).Single().Digits);
    }

    [Fact]
    public void Only_the_requested_categories_are_redacted()
    {
        const string text = "call five five five one two three four or mail john at example dot com";
        Assert.Equal([("john at example dot com", TranscriptRedactor.Email)], Find(text, [RedactionCategory.Email]));
        Assert.Equal([("five five five one two three four", TranscriptRedactor.Phone)], Find(text, [RedactionCategory.Phone]));
        Assert.Empty(Find(text, [RedactionCategory.Card]));
    }

    [Theory]
    [InlineData("my email is john at example dot com thanks", "john at example dot com")]
    [InlineData("write to jane dot doe at mail dot example dot co dot uk today", "jane dot doe at mail dot example dot co dot uk")]
    [InlineData("send it to j.doe@example.org please", "j.doe@example.org")]
    public void Email_addresses_read_aloud_are_found(string text, string expected) =>
        Assert.Equal([(expected, TranscriptRedactor.Email)], Find(text, [RedactionCategory.Email]));

    [Theory]
    [InlineData("look at the dot on the screen")]
    [InlineData("we met at noon")]
    [InlineData("she is at home dot dot dot")]
    public void At_and_dot_in_ordinary_speech_are_not_an_email(string text) => Assert.Empty(Find(text, [RedactionCategory.Email]));

    [Fact]
    public void Phrases_are_matched_as_whole_words_case_insensitively()
    {
        var found = Find("Doctor Smith said the Acme Project is late, acme project again", [], ["acme project", "  ", "doctor smith"]);
        Assert.Equal([("Doctor Smith", TranscriptRedactor.Phrase), ("Acme Project", TranscriptRedactor.Phrase), ("acme project", TranscriptRedactor.Phrase)], found);
        Assert.Empty(Find("the acme projection", [], ["acme project"]));
    }

    [Fact]
    public void Off_finds_nothing_and_creates_no_redactor()
    {
        Assert.Null(TranscriptRedactor.Create(new RedactionOptions()));
        Assert.Empty(Find("four one one one one one one one one one one one one one one one", []));
    }

    [Fact]
    public void Categories_parse_from_the_command_line_and_unknown_ones_are_refused()
    {
        Assert.Equal([RedactionCategory.Card, RedactionCategory.Phone, RedactionCategory.Email, RedactionCategory.Numbers],
            RedactionOptions.ParseCategories("card, PHONE,email,numbers,card"));
        Assert.Empty(RedactionOptions.ParseCategories("off"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedactionOptions.ParseCategories("card,ssn"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedactionOptions.ParseCategories("1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RedactionOptions { RedactedAudio = true }.Validate());
    }
}

public class RedactionThroughAnalyzerTests
{
    private static readonly string[] CardWords = ["four", .. Enumerable.Repeat("one", 15)];

    /// <summary>
    /// 10 s, 4 s chunks with 1 s context (hand-overs at 3, 5, 7 s): "my card is" + 16 spoken digits from 1.2 s to 8.7 s, so the
    /// digit string crosses three chunk boundaries, + "thanks".
    /// </summary>
    private static (ScriptedModel Model, long Samples) CardCall()
    {
        var words = new List<PlacedWord> { new("my", 10), new("card", 25), new("is", 45) };
        var frame = 60;
        foreach (var w in CardWords) { words.Add(new PlacedWord(w, frame, Stride: 2)); frame += w.Length * 2 + 16; }
        words.Add(new PlacedWord("thanks", frame + 10, Stride: 2));
        const long samples = 10 * 16000;
        return (new ScriptedModel(Emissions(500, words), _ => (0, true, 0), samples / 640), samples);
    }

    private static async IAsyncEnumerable<float[]> Blocks(float[] audio)
    {
        for (var i = 0; i < audio.Length; i += 3000)
        {
            await Task.Yield();
            yield return audio[i..Math.Min(audio.Length, i + 3000)];
        }
    }

    private static RecordingInfo Recording(long samples) =>
        new() { Name = "card.wav", DurationSeconds = samples / 16000.0, SampleRate = 16000, Channels = 1, Sha256 = new string('a', 64) };

    private static AnalysisOptions Options(params RedactionCategory[] categories) =>
        new() { ChunkSeconds = 4, ChunkOverlapSeconds = 1, BatchSize = 1, BeamWidth = 4, Redaction = new RedactionOptions { Categories = [.. categories] } };

    [Fact]
    public async Task Without_redaction_the_digits_cross_chunk_boundaries_intact()
    {
        var (model, samples) = CardCall();
        var result = await new SpeechAnalyzer(model, new PostProcessingOptions())
            .AnalyzeAsync(Blocks(ScriptedModel.Audio(samples)), Recording(samples), Options(), null, CancellationToken.None);
        Assert.True(model.Calls > 2);
        Assert.Equal(["my", "card", "is", .. CardWords, "thanks"], result.Transcript.Words.Select(w => w.Text));
        Assert.Null(result.Redaction);
        Assert.InRange(result.Transcript.Words[3].Start, 1.0, 1.4);
        Assert.InRange(result.Transcript.Words[^2].End, 7.5, 8.5);
    }

    [Fact]
    public async Task A_card_number_across_chunk_boundaries_is_redacted_in_every_file()
    {
        var (model, samples) = CardCall();
        var result = await new SpeechAnalyzer(model, new PostProcessingOptions())
            .AnalyzeAsync(Blocks(ScriptedModel.Audio(samples)), Recording(samples), Options(RedactionCategory.Card, RedactionCategory.Phone),
                null, CancellationToken.None);

        Assert.Equal(["my", "card", "is", "[REDACTED:CARD]", "thanks"], result.Transcript.Words.Select(w => w.Text));
        Assert.Equal("my card is [REDACTED:CARD] thanks", result.Transcript.Text);
        Assert.Equal(result.Transcript.Text, string.Join(' ', result.Turns.Select(t => t.Text)));
        var span = Assert.Single(result.Redaction!.Spans);
        Assert.Equal((TranscriptRedactor.Card, "S1"), (span.Label, span.Speaker));
        Assert.Equal((result.Transcript.Words[3].Start, result.Transcript.Words[3].End), (span.Start, span.End));
        Assert.InRange(span.Start, 1.0, 1.4);
        Assert.InRange(span.End, 7.5, 8.5);
        Assert.Equal(["card", "phone"], result.Redaction.Categories);
        // One scripted phone per letter: only the letters of the words that remain are left.
        Assert.Equal("mycardisthanks".Length, result.Phonemes.Count);
        Assert.All(result.Phonemes, p => Assert.True(p.End <= span.Start || p.Start >= span.End));

        foreach (var (name, content) in ResultSetRenderer.Render(result))
        {
            var text = Encoding.UTF8.GetString(content);
            Assert.DoesNotContain("four", text, StringComparison.Ordinal);
            Assert.DoesNotContain("one one", text, StringComparison.Ordinal);
            if (name != ResultSchema.Files.Emotions)
                Assert.Contains("[REDACTED:CARD]", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Redacted_audio_silences_exactly_the_redacted_spans()
    {
        var audio = Enumerable.Range(0, 16000).Select(_ => 0.5f).ToArray();
        var spans = new List<RedactedSpan> { new() { Label = "CARD", Start = 0.25, End = 0.5 }, new() { Label = "PHONE", Start = 0.9, End = 2.0 } };
        var silenced = new List<float>();
        await foreach (var block in RedactedAudio.Silence(Blocks(audio), spans, 16000)) silenced.AddRange(block);
        Assert.Equal(audio.Length, silenced.Count);
        for (var i = 0; i < audio.Length; i++)
            Assert.Equal(i is >= 4000 and < 8000 || i >= 14400 ? 0f : 0.5f, silenced[i]);
        Assert.All(audio, s => Assert.Equal(0.5f, s)); // the input blocks are not changed in place
    }
}
