using System.Buffers.Binary;
using System.Globalization;
using MtlBatch.Core;
using Xunit.Abstractions;

namespace MtlBatch.Reports.Tests;

/// <summary>Opens the report in a real (headless) browser: it must draw, run its script and fetch nothing.</summary>
public class BrowserTests(ITestOutputHelper output)
{
    private const string MissingChromium = "chromium not found (set CHROMIUM_PATH or `apt-get install -y chromium`; scripts/bootstrap.sh installs it): browser test skipped";

    [SkippableFact]
    public async Task Report_of_a_three_speaker_call_renders_in_chromium_self_contained()
    {
        var chromium = Chromium.Find();
        Skip.If(chromium is null, MissingChromium);

        var result = GeneratedResults.ThreeSpeakerCall();
        Assert.Equal(3, result.Speakers.Count);
        using var dir = new TempDir();
        var htmlPath = Path.Combine(dir.Path, ResultSchema.Files.Report);
        var html = ReportHtml.Render(result);
        await File.WriteAllTextAsync(htmlPath, html);

        // The raw page: nothing that could reach the network.
        Assert.Empty(HtmlScan.NetworkReferences(html));
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);

        var png = Path.Combine(dir.Path, "report.png");
        var shot = await chromium!.ScreenshotAsync(htmlPath, png, 1400, 1000, CancellationToken.None);
        output.WriteLine($"screenshot exit {shot.ExitCode}");
        Assert.True(File.Exists(png), "no screenshot; chromium said: " + shot.Stderr);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.Equal(1400, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(1000, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
        // A blank 1400x1000 page compresses to a few kilobytes; text, lanes and colours make it far larger.
        Assert.True(bytes.Length > 40_000, $"screenshot is only {bytes.Length} bytes");
        output.WriteLine($"screenshot {bytes.Length} bytes");
        var keep = Environment.GetEnvironmentVariable("MTLBATCH_REPORT_SCREENSHOT");
        if (!string.IsNullOrEmpty(keep)) File.Copy(png, keep, overwrite: true);

        var dump = await chromium.DumpDomAsync(htmlPath, CancellationToken.None);
        Assert.True(dump.ExitCode == 0, "dump-dom failed: " + dump.Stderr);
        var dom = dump.Stdout;
        var tags = HtmlScan.Tags(dom);

        // The inline script ran, i.e. the Content-Security-Policy hash admits it, and nothing was refused.
        Assert.Equal("1", tags.Single(t => t.Name == "body")["data-ready"]);
        Assert.DoesNotContain("Refused to", dump.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Content Security Policy", dump.Stderr, StringComparison.Ordinal);

        // One lane per speaker, every turn with the times from the JSON.
        var lanes = tags.Where(t => t.Name == "g" && t.HasClass("lane")).Select(t => t["data-speaker"]).ToArray();
        Assert.Equal(result.Speakers.Select(s => s.Id).ToArray(), lanes);
        var turns = tags.Where(t => t.Name == "g" && t.HasClass("turn")).ToList();
        Assert.Equal(result.Turns.Count, turns.Count);
        var expected = result.Turns.Select(t => (F(t.Start), F(t.End))).ToArray();
        // Lanes group turns by speaker; data-turn is the turn's index in the JSON.
        Assert.Equal(expected, turns.OrderBy(t => int.Parse(t["data-turn"]!, CultureInfo.InvariantCulture)).Select(t => (t["data-start"]!, t["data-end"]!)).ToArray());
        foreach (var lane in result.Speakers)
            Assert.Equal(result.Turns.Count(t => t.Speaker == lane.Id),
                Blocks(dom, $"data-speaker=\"{lane.Id}\" data-lane=", "</g>\n").Single().Split("class=\"turn\"").Length - 1);
        Assert.Equal(result.Turns.Count, tags.Count(t => t.Name == "article" && t.HasClass("tt")));
        Assert.Equal(result.Transcript.Words.Count, tags.Count(t => t.Name == "span" && t.HasClass("w")));

        // No external resources in the live DOM either.
        Assert.Empty(HtmlScan.NetworkReferences(dom));
        Assert.DoesNotContain(tags, t => t.Name == "script" && t.Attributes.ContainsKey("src"));
        Assert.DoesNotContain(tags, t => t.Name is "link" or "img" or "iframe");
    }

    [SkippableFact]
    public async Task Hostile_strings_stay_text_in_the_browser()
    {
        var chromium = Chromium.Find();
        Skip.If(chromium is null, MissingChromium);

        var result = GeneratedResults.Hostile();
        using var dir = new TempDir();
        var htmlPath = Path.Combine(dir.Path, ResultSchema.Files.Report);
        await File.WriteAllTextAsync(htmlPath, ReportHtml.Render(result));
        var dump = await chromium!.DumpDomAsync(htmlPath, CancellationToken.None);
        var tags = HtmlScan.Tags(dump.Stdout);
        Assert.Equal("1", tags.Single(t => t.Name == "body")["data-ready"]);
        Assert.Single(tags, t => t.Name == "script");
        Assert.DoesNotContain(tags, t => t.Name is "img" or "i");
        Assert.Equal(result.Speakers.Select(s => s.Id).ToArray(), tags.Where(t => t.HasClass("lane")).Select(t => t["data-speaker"]).ToArray());
        Assert.Contains("<title>&lt;script&gt;alert('name')&lt;/script&gt;&amp;\"quoted\".wav", dump.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Zoom_buttons_and_clicks_on_words_and_turns_drive_the_timeline()
    {
        var chromium = Chromium.Find();
        Skip.If(chromium is null, MissingChromium);

        var result = GeneratedResults.ThreeSpeakerCall();
        // The test drives the page with a second script; the page's own policy would (rightly) refuse it, so it is lifted here.
        var html = System.Text.RegularExpressions.Regex.Replace(ReportHtml.Render(result), "<meta http-equiv=\"Content-Security-Policy\"[^>]*>\n", "");
        html = html.Replace("</body>", """
            <script>
            (function () {
              var $ = function (id) { return document.getElementById(id); };
              $('zoom-in').click(); $('zoom-in').click();
              var w = document.querySelectorAll('.w')[40];
              w.click();
              var afterWord = { width: $('chart').style.width, marker: $('marker').getAttribute('x'), visible: $('marker').getAttribute('visibility'),
                selected: w.classList.contains('sel'), levels: Array.prototype.map.call(document.querySelectorAll('.ticks.on'), function (g) { return g.dataset.z; }).join(','),
                zoomText: $('zoom-level').textContent };
              document.querySelector('.lane .turn[data-turn="3"]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
              afterWord.flashed = $('turn-3').classList.contains('flash');
              afterWord.turnMarker = $('marker').getAttribute('x');
              $('zoom-fit').click();
              afterWord.fitWidth = $('chart').style.width;
              document.body.setAttribute('data-probe', JSON.stringify(afterWord));
            })();
            </script>
            </body>
            """, StringComparison.Ordinal);
        using var dir = new TempDir();
        var htmlPath = Path.Combine(dir.Path, "driven.html");
        await File.WriteAllTextAsync(htmlPath, html);
        var dump = await chromium!.DumpDomAsync(htmlPath, CancellationToken.None);
        var body = HtmlScan.Tags(dump.Stdout).Single(t => t.Name == "body");
        Assert.Equal("1", body["data-ready"]);
        var probe = System.Text.Json.JsonDocument.Parse(body["data-probe"] ?? throw new Xunit.Sdk.XunitException("driver script did not run: " + dump.Stderr)).RootElement;
        output.WriteLine(probe.ToString());

        double duration = result.Recording.DurationSeconds;
        Assert.Equal("400%", probe.GetProperty("width").GetString());
        Assert.Equal("4", probe.GetProperty("levels").GetString());
        Assert.Equal("4\u00d7", probe.GetProperty("zoomText").GetString());
        Assert.True(probe.GetProperty("selected").GetBoolean());
        Assert.Equal("visible", probe.GetProperty("visible").GetString());
        // The marker sits where the clicked word (the 41st in transcript order) starts.
        var clicked = OrderInTranscript(result)[40];
        Assert.Equal(clicked.Start / duration * 100, ParsePercent(probe.GetProperty("marker").GetString()!), 3);
        Assert.True(probe.GetProperty("flashed").GetBoolean());
        Assert.Equal(result.Turns[3].Start / duration * 100, ParsePercent(probe.GetProperty("turnMarker").GetString()!), 3);
        Assert.Equal("100%", probe.GetProperty("fitWidth").GetString());
    }

    /// <summary>Words in the order the transcript shows them: by turn, then by time.</summary>
    private static List<Word> OrderInTranscript(AnalysisResult result) =>
        result.Transcript.Words.Select((w, i) => (w, i)).OrderBy(x => TurnOf(result, x.w)).ThenBy(x => x.w.Start).ThenBy(x => x.i).Select(x => x.w).ToList();

    private static int TurnOf(AnalysisResult result, Word w)
    {
        double mid = (w.Start + w.End) / 2;
        for (int t = 0; t < result.Turns.Count; t++)
            if (result.Turns[t].Speaker == w.Speaker && result.Turns[t].Start <= mid && mid <= result.Turns[t].End) return t;
        throw new InvalidOperationException("generated words always lie inside their turn");
    }

    private static double ParsePercent(string value) => double.Parse(value.TrimEnd('%'), CultureInfo.InvariantCulture);

    private static IEnumerable<string> Blocks(string text, string start, string end)
    {
        for (int a = text.IndexOf(start, StringComparison.Ordinal); a >= 0; a = text.IndexOf(start, a + 1, StringComparison.Ordinal))
            yield return text[a..(text.IndexOf(end, a, StringComparison.Ordinal) + end.Length)];
    }

    private static string F(double v) => Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture);
}
