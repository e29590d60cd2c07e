using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

public partial class CaptionTests
{
    private sealed record ParsedCue(long StartMs, long EndMs, string? Speaker, List<string> VisibleLines, List<string> Words);

    public static TheoryData<string> Shapes() => ["call", "monologue", "rapid", "hostile", "meeting"];

    private static AnalysisResult Make(string shape) => shape switch
    {
        "call" => GeneratedResults.ThreeSpeakerCall(),
        "monologue" => GeneratedResults.LongMonologue(),
        "rapid" => GeneratedResults.RapidSpeakerChanges(),
        "hostile" => GeneratedResults.Hostile(),
        "meeting" => GeneratedResults.Conversation(new ConversationShape { Seed = 5, Speakers = 6, Seconds = 900, OverlapChance = 0.1 }),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Vtt_cues_follow_the_rules_and_keep_every_word_once_in_order(string shape)
    {
        var result = Make(shape);
        var vtt = Captions.ToWebVtt(result);
        Assert.StartsWith("WEBVTT\n\n", vtt, StringComparison.Ordinal);
        var cues = ParseBlocks(vtt["WEBVTT\n\n".Length..], vtt: true);
        CheckCues(result, cues, text => text);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Srt_cues_follow_the_rules_and_keep_every_word_once_in_order(string shape)
    {
        var result = Make(shape);
        var cues = ParseBlocks(Captions.ToSrt(result), vtt: false);
        // SRT has no escapes: the one sequence that would end a timing line is rewritten.
        CheckCues(result, cues, text => text.Replace("-->", "->", StringComparison.Ordinal));
    }

    [Fact]
    public void Vtt_and_srt_carry_the_same_cues()
    {
        var result = GeneratedResults.Conversation(new ConversationShape { Seed = 3, Speakers = 3, Seconds = 200, OverlapChance = 0.2 });
        var vtt = ParseBlocks(Captions.ToWebVtt(result)["WEBVTT\n\n".Length..], vtt: true);
        var srt = ParseBlocks(Captions.ToSrt(result), vtt: false);
        Assert.Equal(vtt.Count, srt.Count);
        for (int i = 0; i < vtt.Count; i++)
        {
            Assert.Equal((vtt[i].StartMs, vtt[i].EndMs, vtt[i].Speaker), (srt[i].StartMs, srt[i].EndMs, srt[i].Speaker));
            Assert.Equal(vtt[i].Words, srt[i].Words);
        }
    }

    [Fact]
    public void A_long_monologue_is_cut_into_full_cues_not_single_words()
    {
        var result = GeneratedResults.LongMonologue();
        var cues = ParseBlocks(Captions.ToSrt(result), vtt: false);
        double wordsPerCue = (double)result.Transcript.Words.Count / cues.Count;
        // About 12 average-length words fit two 42-character lines; 7 seconds and pauses cut some cues earlier.
        Assert.InRange(wordsPerCue, 5, 14);
        Assert.True(cues.Count(c => c.VisibleLines.Count == 2) > cues.Count / 2, "most monologue cues should use both lines");
    }

    [Fact]
    public void Words_longer_than_a_line_are_split_and_kept_in_order()
    {
        var longWord = string.Concat(Enumerable.Repeat("abcdefghij", 10)); // 100 characters
        var result = GeneratedResults.ThreeSpeakerCall();
        var words = result.Transcript.Words.ToList();
        words[5] = words[5] with { Text = longWord };
        result = result with { Transcript = result.Transcript with { Words = words } };
        var cues = ParseBlocks(Captions.ToSrt(result), vtt: false);
        Assert.All(cues, c => Assert.All(c.VisibleLines, l => Assert.True(l.Length <= 42, l)));
        Assert.Contains(longWord, string.Concat(cues.SelectMany(c => c.Words)), StringComparison.Ordinal);
    }

    [Fact]
    public void Speaker_comes_from_the_turn_when_a_word_has_none()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        result = result with { Transcript = result.Transcript with { Words = result.Transcript.Words.Select(w => w with { Speaker = null }).ToArray() } };
        var cues = Captions.BuildCues(result);
        Assert.All(cues, c => Assert.NotNull(c.Speaker));
        var firstTurn = result.Turns[0];
        Assert.Equal(firstTurn.Speaker, cues[0].Speaker);
    }

    [Fact]
    public void Timestamps_use_the_format_of_each_standard()
    {
        var t = new TimeSpan(0, 1, 2, 3, 456) + TimeSpan.FromTicks(7000);
        Assert.Equal("01:02:03.457", Captions.Timestamp(t, '.'));
        Assert.Equal("01:02:03,457", Captions.Timestamp(t, ','));
        Assert.Equal("00:00:00,000", Captions.Timestamp(TimeSpan.Zero, ','));
        Assert.Equal("27:46:40.000", Captions.Timestamp(TimeSpan.FromSeconds(100_000), '.'));
    }

    [Fact]
    public void No_words_gives_an_empty_but_valid_file()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        result = result with { Transcript = new Transcript { Text = "", Words = [] } };
        Assert.Equal("WEBVTT\n\n", Captions.ToWebVtt(result));
        Assert.Equal("", Captions.ToSrt(result));
    }

    private static void CheckCues(AnalysisResult result, List<ParsedCue> cues, Func<string, string> shown)
    {
        var options = new CaptionOptions();
        Assert.NotEmpty(cues);
        var expected = result.Transcript.Words.Select((w, i) => (w, i)).OrderBy(x => x.w.Start).ThenBy(x => x.i).Select(x => x.w).ToList();
        bool overlappingInput = HasOverlappingWords(expected);

        // Every word exactly once, in time order, each under its own speaker's label.
        var flat = cues.SelectMany(c => c.Words.Select(w => (Word: w, Cue: c))).ToList();
        Assert.Equal(expected.Select(w => shown(w.Text)).ToArray(), flat.Select(f => f.Word).ToArray());
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(Label(expected[i].Speaker!), flat[i].Cue.Speaker);

        int wordIndex = 0;
        for (int c = 0; c < cues.Count; c++)
        {
            var cue = cues[c];
            Assert.InRange(cue.VisibleLines.Count, 1, options.MaxLines);
            Assert.All(cue.VisibleLines, line => Assert.True(line.Length <= options.MaxLineLength, $"line too long ({line.Length}): {line}"));
            Assert.True(cue.EndMs > cue.StartMs, $"cue {c} is empty");
            Assert.True(cue.EndMs - cue.StartMs <= options.MaxCueSeconds * 1000, $"cue {c} lasts {cue.EndMs - cue.StartMs} ms");
            if (c > 0) Assert.True(cue.StartMs >= cues[c - 1].EndMs, $"cue {c} overlaps cue {c - 1}");

            var words = expected.Skip(wordIndex).Take(cue.Words.Count).ToList();
            wordIndex += cue.Words.Count;
            // No long pause inside a cue.
            for (int k = 1; k < words.Count; k++)
                Assert.True(words[k].Start - words[k - 1].End <= options.PauseSeconds, $"cue {c} spans a {words[k].Start - words[k - 1].End:0.00} s pause");
            if (!overlappingInput)
            {
                // Without overlapping speech the cue covers exactly its words.
                Assert.Equal(Ms(words[0].Start), cue.StartMs);
                Assert.Equal(Ms(words.Max(w => w.End)), cue.EndMs);
            }
        }
        Assert.Equal(expected.Count, wordIndex);
    }

    private static bool HasOverlappingWords(List<Word> ordered)
    {
        double end = double.NegativeInfinity;
        foreach (var w in ordered)
        {
            if (w.Start < end) return true;
            end = Math.Max(end, w.End);
        }
        return false;
    }

    private static string Label(string speaker) => speaker.Length <= 16 ? speaker : speaker[..16];

    private static long Ms(double seconds) => (long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero);

    private static List<ParsedCue> ParseBlocks(string body, bool vtt)
    {
        var cues = new List<ParsedCue>();
        var timing = vtt ? VttTiming() : SrtTiming();
        var blocks = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        for (int b = 0; b < blocks.Length; b++)
        {
            var lines = blocks[b].Split('\n').ToList();
            if (!vtt)
            {
                Assert.Equal((b + 1).ToString(CultureInfo.InvariantCulture), lines[0]);
                lines.RemoveAt(0);
            }
            var m = timing.Match(lines[0]);
            Assert.True(m.Success, $"bad timing line: {lines[0]}");
            long start = ParseMs(m.Groups[1].Value), end = ParseMs(m.Groups[2].Value);
            string? speaker = null;
            var visible = new List<string>();
            var words = new List<string>();
            for (int i = 1; i < lines.Count; i++)
            {
                var line = lines[i];
                Assert.False(string.IsNullOrWhiteSpace(line));
                if (i == 1)
                {
                    var v = vtt ? VttVoice().Match(line) : SrtVoice().Match(line);
                    if (v.Success)
                    {
                        speaker = vtt ? WebUtility.HtmlDecode(v.Groups[1].Value) : v.Groups[1].Value;
                        line = vtt ? line[v.Length..] : line;
                    }
                }
                if (vtt)
                {
                    // Only the voice span may be markup; everything else must be escaped text.
                    Assert.DoesNotContain('<', line);
                    line = WebUtility.HtmlDecode(line);
                }
                visible.Add(line);
                var text = !vtt && i == 1 && speaker is not null ? line[(speaker.Length + 2)..] : line;
                words.AddRange(text.Split(' '));
            }
            cues.Add(new ParsedCue(start, end, speaker, visible, words));
        }
        return cues;
    }

    private static long ParseMs(string stamp)
    {
        var p = stamp.Split(':', '.', ',');
        return ((long.Parse(p[0], CultureInfo.InvariantCulture) * 60 + long.Parse(p[1], CultureInfo.InvariantCulture)) * 60
            + long.Parse(p[2], CultureInfo.InvariantCulture)) * 1000 + long.Parse(p[3], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(\d{2,}:[0-5]\d:[0-5]\d\.\d{3}) --> (\d{2,}:[0-5]\d:[0-5]\d\.\d{3})$")]
    private static partial Regex VttTiming();

    [GeneratedRegex(@"^(\d{2,}:[0-5]\d:[0-5]\d,\d{3}) --> (\d{2,}:[0-5]\d:[0-5]\d,\d{3})$")]
    private static partial Regex SrtTiming();

    [GeneratedRegex(@"^<v ([^>]+)>")]
    private static partial Regex VttVoice();

    [GeneratedRegex(@"^(.+?): ")]
    private static partial Regex SrtVoice();
}
