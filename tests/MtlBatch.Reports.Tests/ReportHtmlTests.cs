using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

public class ReportHtmlTests
{
    private static string F(double v) => Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture);

    [Fact]
    public void Lanes_turns_and_words_match_the_result()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        var html = ReportHtml.Render(result);
        var tags = HtmlScan.Tags(html);

        var lanes = tags.Where(t => t.Name == "g" && t.HasClass("lane")).ToList();
        Assert.Equal(result.Speakers.Select(s => s.Id).ToArray(), lanes.Select(l => l["data-speaker"]).ToArray());

        // Each turn appears once on the timeline and once in the transcript, with its times.
        var laneTurns = tags.Where(t => t.Name == "g" && t.HasClass("turn")).ToList();
        var textTurns = tags.Where(t => t.Name == "article" && t.HasClass("tt")).ToList();
        Assert.Equal(result.Turns.Count, laneTurns.Count);
        Assert.Equal(result.Turns.Count, textTurns.Count);
        foreach (var tag in laneTurns.Concat(textTurns))
        {
            var turn = result.Turns[int.Parse(tag["data-turn"]!, CultureInfo.InvariantCulture)];
            Assert.Equal(F(turn.Start), tag["data-start"]);
            Assert.Equal(F(turn.End), tag["data-end"]);
        }
        Assert.Equal(result.Turns.Select(t => t.Speaker).ToArray(), textTurns.Select(t => t["data-speaker"]).ToArray());

        // Every word exactly once, clickable (carries its times), in the turn of its speaker.
        var words = HtmlScan.LeafTexts(html, "span", "w");
        Assert.Equal(result.Transcript.Words.Count, words.Count);
        Assert.Equal(Enumerable.Range(0, words.Count).ToArray(), words.Select(w => int.Parse(w.Tag["data-word"]!, CultureInfo.InvariantCulture)).Order().ToArray());
        foreach (var (tag, text) in words)
        {
            var word = result.Transcript.Words[int.Parse(tag["data-word"]!, CultureInfo.InvariantCulture)];
            Assert.Equal(word.Text, text);
            Assert.Equal(F(word.Start), tag["data-start"]);
            Assert.Equal(F(word.End), tag["data-end"]);
        }
        foreach (var (t, turn) in result.Turns.Select((t, i) => (i, t)))
        {
            var article = Between(html, $"id=\"turn-{t}\"", "</article>");
            var inTurn = HtmlScan.LeafTexts(article, "span", "w").Select(w => result.Transcript.Words[int.Parse(w.Tag["data-word"]!, CultureInfo.InvariantCulture)]);
            Assert.All(inTurn, w => Assert.Equal(turn.Speaker, w.Speaker));
        }
    }

    [Fact]
    public void Header_shows_recording_model_device_date_and_duration()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        var html = ReportHtml.Render(result);
        var header = Between(html, "<header class=\"head\">", "</header>");
        Assert.Contains("<h1>weekly-call.wav</h1>", header, StringComparison.Ordinal);
        Assert.Contains("<dd>2:00</dd>", header, StringComparison.Ordinal);
        Assert.Contains("<dd>mtl-small 0.3.0</dd>", header, StringComparison.Ordinal);
        Assert.Contains("<dd>cpu</dd>", header, StringComparison.Ordinal);
        Assert.Contains(result.Processing.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), header, StringComparison.Ordinal);
    }

    [Fact]
    public void Emotion_band_has_a_segment_per_timeline_entry_with_scores_in_its_tooltip()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        var html = ReportHtml.Render(result);
        var segments = HtmlScan.Tags(html).Where(t => t.Name == "rect" && t.HasClass("emo")).ToList();
        Assert.Equal(result.Emotions.Timeline.Count, segments.Count);
        var first = result.Emotions.Timeline.OrderBy(e => e.Start).First();
        var tooltip = Between(html, "<rect class=\"emo\"", "</rect>");
        foreach (var (label, score) in first.Scores)
            Assert.Contains($"\n{label} {100 * score:0}%", tooltip, StringComparison.Ordinal);
        // Every emotion in the legend, with a text label and its own colour.
        var legend = HtmlScan.Tags(html).Where(t => t.Name == "li" && t["data-emotion"] is not null).Select(t => t["data-emotion"]).ToArray();
        Assert.Equal(GeneratedResults.EmotionLabels, legend);
        Assert.Equal(legend.Length, Palette.Emotions(legend.Select(l => l!)).Values.Distinct().Count());
    }

    [Fact]
    public void Voice_activity_gaps_are_drawn_between_speech_segments()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        var html = ReportHtml.Render(result);
        var gaps = HtmlScan.Tags(html).Where(t => t.Name == "rect" && t.HasClass("gap")).ToList();

        var expected = new List<(double, double)>();
        double cursor = 0;
        foreach (var v in result.VoiceActivity.OrderBy(v => v.Start))
        {
            if (v.Start > cursor) expected.Add((cursor, v.Start));
            cursor = Math.Max(cursor, v.End);
        }
        if (cursor < result.Recording.DurationSeconds) expected.Add((cursor, result.Recording.DurationSeconds));
        Assert.True(expected.Count > 5);
        Assert.Equal(expected.Select(g => (F(g.Item1), F(g.Item2))).ToArray(), gaps.Select(g => (g["data-start"]!, g["data-end"]!)).ToArray());
    }

    [Theory]
    [InlineData(120)]
    [InlineData(7200)]
    public void Axis_labels_are_thinned_for_each_zoom_level(double seconds)
    {
        var result = seconds > 1000 ? GeneratedResults.TwoHourMeeting() : GeneratedResults.ThreeSpeakerCall();
        var options = new ReportOptions();
        var html = ReportHtml.Render(result, options);
        var levels = Blocks(html, "<g class=\"ticks", "</g>\n").ToList();
        Assert.True(levels.Count >= 4, "short and long recordings both get several zoom levels");
        foreach (var level in levels)
        {
            var head = HtmlScan.Tags(level)[0];
            int zoom = int.Parse(head["data-z"]!, CultureInfo.InvariantCulture);
            var times = HtmlScan.Tags(level).Where(t => t.HasClass("tick")).Select(t => double.Parse(t["data-t"]!, CultureInfo.InvariantCulture)).ToList();
            // At most AxisLabelsPerWidth labels per screen width, evenly spaced: they cannot overlap.
            Assert.InRange(times.Count, 2, options.AxisLabelsPerWidth * zoom + 1);
            var spacing = times.Zip(times.Skip(1), (a, b) => b - a).Distinct().ToList();
            Assert.Single(spacing);
            Assert.True(spacing[0] >= seconds / (options.AxisLabelsPerWidth * zoom) - 1e-9);
        }
        Assert.Contains("<g class=\"ticks on\" data-z=\"1\"", html, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(html, "class=\"ticks on\""));
    }

    [Fact]
    public void A_two_hour_meeting_renders_every_turn_and_word()
    {
        var result = GeneratedResults.TwoHourMeeting();
        Assert.True(result.Transcript.Words.Count > 10_000);
        var html = ReportHtml.Render(result);
        Assert.Equal(8, CountOf(html, "<g class=\"lane\""));
        Assert.Equal(result.Turns.Count, CountOf(html, "<g class=\"turn\""));
        Assert.Equal(result.Transcript.Words.Count, CountOf(html, " data-word=\""));
        Assert.Contains("<dd>2:00:00</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-max-zoom=\"128\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Untrusted_names_and_words_are_encoded()
    {
        var result = GeneratedResults.Hostile();
        var html = ReportHtml.Render(result);

        // Exactly one script element (ours), no injected elements, no event handler attributes.
        var tags = HtmlScan.Tags(html);
        Assert.Single(tags, t => t.Name == "script");
        Assert.DoesNotContain(tags, t => t.Name is "img" or "i" or "iframe" or "link");
        Assert.DoesNotContain(tags, t => t.Attributes.Keys.Any(k => k.StartsWith("on", StringComparison.OrdinalIgnoreCase)));
        Assert.Empty(HtmlScan.NetworkReferences(html));
        Assert.Contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);

        // The hostile values survive as data, exactly.
        var lanes = tags.Where(t => t.Name == "g" && t.HasClass("lane")).Select(t => t["data-speaker"]).ToArray();
        Assert.Equal(result.Speakers.Select(s => s.Id).ToArray(), lanes);
        var words = HtmlScan.LeafTexts(html, "span", "w").Select(w => w.Text).ToArray();
        Assert.Contains("<script>x</script>", words);
        Assert.Contains("https://ev.il/x.js", words);
    }

    [Fact]
    public void Page_is_self_contained_and_its_policy_admits_only_its_own_script_and_style()
    {
        var html = ReportHtml.Render(GeneratedResults.ThreeSpeakerCall());
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(HtmlScan.NetworkReferences(html));
        var tags = HtmlScan.Tags(html);
        Assert.DoesNotContain(tags, t => t.Name is "link" or "img" or "iframe" or "object" or "embed");
        Assert.DoesNotContain(tags, t => t.Attributes.ContainsKey("src") || t.Attributes.ContainsKey("style"));

        var csp = tags.Single(t => t.Name == "meta" && t["http-equiv"] == "Content-Security-Policy")["content"]!;
        Assert.StartsWith("default-src 'none';", csp, StringComparison.Ordinal);
        Assert.Contains($"script-src '{Hash(HtmlScan.Inner(html, "script"))}'", csp, StringComparison.Ordinal);
        Assert.Contains($"style-src '{Hash(HtmlScan.Inner(html, "style"))}'", csp, StringComparison.Ordinal);
        Assert.Contains("@media print", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Speakers_get_distinct_colour_blind_safe_colours_and_text_labels()
    {
        var result = GeneratedResults.Conversation(new ConversationShape { Seed = 2, Speakers = 6, Seconds = 300 });
        var html = ReportHtml.Render(result);
        var laneFills = Blocks(html, "<g class=\"lane\"", "</g>\n")
            .Select(b => HtmlScan.Tags(b).First(t => t.Name == "rect" && t["fill"] is not null)["fill"]).ToList();
        Assert.Equal(6, laneFills.Distinct().Count());
        Assert.All(laneFills, f => Assert.Contains(f, Palette.Speakers));
        foreach (var s in result.Speakers)
            Assert.Contains($"<li data-speaker=\"{s.Id}\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_recording_still_renders()
    {
        var r = GeneratedResults.ThreeSpeakerCall() with
        {
            Transcript = new Transcript { Text = "", Words = [] }, Turns = [], Speakers = [], VoiceActivity = [],
            Emotions = new EmotionTrack { Labels = GeneratedResults.EmotionLabels, Timeline = [] },
        };
        var html = ReportHtml.Render(r);
        Assert.Contains("No speech was found", html, StringComparison.Ordinal);
        Assert.Equal(0, CountOf(html, "<g class=\"lane\""));
        Assert.Single(HtmlScan.Tags(html), t => t.HasClass("gap"));
    }

    [Theory]
    [InlineData(0, false, "0:00")]
    [InlineData(59.96, true, "1:00.0")]
    [InlineData(61.24, true, "1:01.2")]
    [InlineData(3725.9, false, "1:02:05")]
    public void Clock_formats_times(double seconds, bool tenths, string expected) => Assert.Equal(expected, ReportHtml.Clock(seconds, tenths));

    private static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    private static int CountOf(string text, string needle)
    {
        int count = 0;
        for (int i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string Between(string text, string start, string end)
    {
        int a = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(a >= 0, $"'{start}' not found");
        int b = text.IndexOf(end, a, StringComparison.Ordinal);
        return text[a..b];
    }

    private static IEnumerable<string> Blocks(string text, string start, string end)
    {
        for (int a = text.IndexOf(start, StringComparison.Ordinal); a >= 0; a = text.IndexOf(start, a + 1, StringComparison.Ordinal))
        {
            int b = text.IndexOf(end, a, StringComparison.Ordinal);
            yield return text[a..(b + end.Length)];
        }
    }
}
