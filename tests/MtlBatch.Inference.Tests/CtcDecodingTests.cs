using MtlBatch.Inference.Ctc;
using static MtlBatch.Inference.Tests.Synthetic;

namespace MtlBatch.Inference.Tests;

public class CtcDecodingTests
{
    private const double Shift = 0.02;

    /// <summary>Raw confidences (no calibration), so that tests can state them exactly.</summary>
    /// <remarks>The synthetic words are 0.5-0.7 s apart without space labels in some tests: a 0.3 s word gap ends them there.</remarks>
    private static TranscriptionOptions Raw(WordConfidenceMethod method = WordConfidenceMethod.CharacterPeak, double scale = 1) =>
        new() { ConfidenceMethod = method, ConfidenceScale = scale, ConfidenceSlope = 1, ConfidenceIntercept = 0, WordGapSeconds = 0.3 };

    private static List<DecodedWord> DecodeAll(float[] logProbs, int frames, int beam, TranscriptionOptions? options = null)
    {
        var decoder = new StreamingWordDecoder(Chars, Shift, beam, options ?? Raw());
        decoder.Push(logProbs, frames, isLast: true);
        return [.. decoder.Words];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Clean_posteriors_decode_to_the_words_with_their_times(int beam)
    {
        PlacedWord[] words = [new("hello", 10), new("world", 60), new("it's", 120)];
        var emissions = Emissions(200, words);
        var decoded = DecodeAll(LogProbs(emissions, Chars.Length), 200, beam);
        var posterior = DecodeAll(LogProbs(emissions, Chars.Length), 200, beam, Raw(WordConfidenceMethod.BeamPosterior));
        var calibrated = DecodeAll(LogProbs(emissions, Chars.Length), 200, beam, new TranscriptionOptions());

        Assert.Equal(["hello", "world", "it's"], decoded.Select(w => w.Text));
        for (var i = 0; i < words.Length; i++)
        {
            Assert.Equal(words[i].StartFrame * Shift, decoded[i].Start, 6);
            Assert.Equal((words[i].LastFrame + 1) * Shift, decoded[i].End, 6);
            Assert.Equal(0.9, decoded[i].Confidence, 3); // mean of the per-character peaks
            // Default: the same, Platt-calibrated (sigmoid(1.307 logit(0.9) - 0.340) = 0.926).
            Assert.Equal(new TranscriptionOptions().Calibrate(0.9), calibrated[i].Confidence, 3);
            Assert.Equal(0.926, calibrated[i].Confidence, 3);
            // Beam posterior: the word's share of the beam, where each letter's frame (blank 0.097 against 0.9) makes
            // "the word with that letter dropped" a ~11 % alternative; greedy decoding has no beam and keeps the peak.
            if (beam == 1) Assert.Equal(0.9, posterior[i].Confidence, 3);
            else Assert.InRange(posterior[i].Confidence, 0.55, 0.85);
        }
    }

    [Fact]
    public void A_word_with_a_competing_spelling_gets_its_share_of_the_beam_as_confidence()
    {
        // Letters at peak 0.99 (a dropped letter is a 0.7 % alternative), but the frame of "cat"'s 'a' says a 0.66 / o 0.33:
        // the beam holds "cat" and "cot" in that ratio, so "cat" is 2/3 sure and its neighbours nearly certain.
        PlacedWord[] words = [new("hello", 10), new("cat", 60), new("dog", 100)];
        var logProbs = LogProbs(Emissions(140, words), Chars.Length, peak: 0.99);
        var row = logProbs.AsSpan(63 * Chars.Length, Chars.Length);
        for (var v = 0; v < row.Length; v++) row[v] = (float)Math.Log(1e-4);
        row[0] = (float)Math.Log(1 - 0.66 - 0.33 - 1e-4 * (Chars.Length - 3));
        row[Token('a')] = (float)Math.Log(0.66);
        row[Token('o')] = (float)Math.Log(0.33);

        DecodedWord[] Decode(double scale)
        {
            var decoder = new StreamingWordDecoder(Chars, Shift, 8, Raw(WordConfidenceMethod.BeamPosterior, scale));
            decoder.Push(logProbs, 140, isLast: true);
            return [.. decoder.Words];
        }
        var decoded = Decode(1.0);
        Assert.Equal(["hello", "cat", "dog"], decoded.Select(w => w.Text));
        Assert.InRange(decoded[1].Confidence, 0.63, 0.67); // 0.66 / (0.66 + 0.33 + the dropped-letter variants)
        Assert.InRange(decoded[0].Confidence, 0.95, 1.0);
        Assert.InRange(decoded[2].Confidence, 0.95, 1.0); // the doubt about "cat" is not "dog"'s
        // A scale below 1 flattens the posterior (sqrt(0.66) / (sqrt(0.66) + sqrt(0.33)) = 0.59 before the variants).
        var flat = Decode(0.5);
        Assert.InRange(flat[1].Confidence, 0.4, decoded[1].Confidence - 0.05);
    }

    [Fact]
    public void Doubled_letters_need_the_blank_between_them()
    {
        // "ll" in hello is emitted on consecutive-but-separated frames; "l" "l" on adjacent frames would be one l.
        var emissions = Emissions(40, [new PlacedWord("hello", 2)]);
        Assert.Equal("hello", DecodeAll(LogProbs(emissions, Chars.Length), 40, 4).Single().Text);
        emissions[2 + 3 * 3 - 1] = Token('l'); // frame right before the second l: now "l","l" touch → merged by CTC
        emissions[2 + 3 * 3 - 2] = Token('l');
        emissions[2 + 3 * 2] = Token('l');
        Assert.Equal("helo", DecodeAll(LogProbs(emissions, Chars.Length), 40, 4).Single().Text);
    }

    [Fact]
    public void Beam_search_sums_alignments_that_greedy_decoding_misses()
    {
        // Two frames, each P(blank)=0.6, P(a)=0.4. Best path is blank-blank ("" with 0.36) but "a" collects
        // aa + a- + -a = 0.16 + 0.24 + 0.24 = 0.64.
        const int vocab = 4;
        var logProbs = new float[2 * vocab];
        for (var t = 0; t < 2; t++)
        {
            logProbs[t * vocab + 0] = (float)Math.Log(0.6);
            logProbs[t * vocab + 1] = (float)Math.Log(0.4);
            logProbs[t * vocab + 2] = logProbs[t * vocab + 3] = float.NegativeInfinity;
        }
        Assert.Empty(new CtcPrefixBeamSearch(1).Decode(logProbs, 2, vocab));
        Assert.Equal([1], new CtcPrefixBeamSearch(4).Decode(logProbs, 2, vocab));
    }

    [Fact]
    public void Alignment_gives_each_label_its_frames_and_peak()
    {
        var emissions = new int[12];
        emissions[3] = emissions[4] = Token('a'); // a spans two frames
        emissions[8] = Token('b');
        var aligned = CtcAligner.Align(LogProbs(emissions, Chars.Length, 0.8), 12, Chars.Length, [Token('a'), Token('b')]);
        Assert.Equal(new AlignedToken(Token('a'), 3, 4, 0.8), aligned[0] with { Peak = Math.Round(aligned[0].Peak, 6) });
        Assert.Equal(new AlignedToken(Token('b'), 8, 8, 0.8), aligned[1] with { Peak = Math.Round(aligned[1].Peak, 6) });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Regions_cut_anywhere_decode_every_word_exactly_once(int beam)
    {
        PlacedWord[] words = [new("alpha", 5), new("bravo", 40), new("charlie", 75), new("delta", 115)];
        const int frames = 140;
        var emissions = Emissions(frames, words, spaces: false); // no space tokens: words end at pauses only
        var logProbs = LogProbs(emissions, Chars.Length);
        var whole = DecodeAll(logProbs, frames, beam);
        Assert.Equal(words.Select(w => w.Text), whole.Select(w => w.Text));

        var vocab = Chars.Length;
        for (var cut = 1; cut < frames - 1; cut++)
        {
            for (var cut2 = cut + 1; cut2 < frames; cut2 += 17)
            {
                var decoder = new StreamingWordDecoder(Chars, Shift, beam, Raw());
                decoder.Push(logProbs.AsSpan(0, cut * vocab), cut, isLast: false);
                decoder.Push(logProbs.AsSpan(cut * vocab, (cut2 - cut) * vocab), cut2 - cut, isLast: false);
                decoder.Push(logProbs.AsSpan(cut2 * vocab), frames - cut2, isLast: true);
                Assert.Equal(whole, decoder.Words);
            }
        }
    }

    [Fact]
    public void Greedy_phoneme_decoding_keeps_a_run_across_regions()
    {
        var labels = new List<DecodedLabel>();
        var decoder = new StreamingGreedyDecoder(Chars.Length, labels.Add);
        var emissions = new int[10];
        emissions[4] = emissions[5] = 7;
        emissions[8] = 9;
        var lp = LogProbs(emissions, Chars.Length);
        decoder.Push(lp.AsSpan(0, 5 * Chars.Length), 5);
        decoder.Push(lp.AsSpan(5 * Chars.Length), 5);
        decoder.Complete();
        Assert.Equal([new DecodedLabel(7, 4, 6), new DecodedLabel(9, 8, 9)], labels);
    }
}
