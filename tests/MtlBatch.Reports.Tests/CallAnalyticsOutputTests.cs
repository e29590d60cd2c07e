using System.Text.Json.Nodes;
using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

/// <summary>Schema 1.1 (issue 15): speaker roles, talk analytics and redaction in the documents, captions and the report.</summary>
public class CallAnalyticsOutputTests
{
    /// <summary>The generated three-speaker call with roles on two speakers, analytics and one redacted span.</summary>
    private static AnalysisResult Call()
    {
        var r = GeneratedResults.ThreeSpeakerCall();
        var roles = new Dictionary<string, string> { [r.Speakers[0].Id] = "agent", [r.Speakers[1].Id] = "customer" };
        var words = r.Transcript.Words.ToList();
        words[2] = words[2] with { Text = "[REDACTED:PHONE]" };
        return r with
        {
            Speakers = r.Speakers.Select(s => s with { Role = roles.GetValueOrDefault(s.Id) }).ToList(),
            Turns = r.Turns.Select(t => t with { Role = roles.GetValueOrDefault(t.Speaker) }).ToList(),
            Transcript = r.Transcript with { Words = words },
            Analytics = new TalkAnalytics
            {
                TalkSeconds = 100, NonTalkSeconds = 4.5, OverlapSeconds = 1.25, TurnCount = r.Turns.Count, Silences = [new TimeSpan2(10, 14.5)],
                MinSilenceSeconds = 2, MinInterruptionSeconds = 0.3,
                Speakers = r.Speakers.Select((s, i) => new SpeakerTalkStats
                {
                    Speaker = s.Id, Role = roles.GetValueOrDefault(s.Id), TalkSeconds = 30 + i, Share = 0.3, WordCount = 70 + i, WordsPerMinute = 141.4 + i,
                    LongestMonologueSeconds = 12.25, MeanLoudnessDbfs = i == 2 ? null : -23.4 - i, InterruptionsMade = i, InterruptionsReceived = 2 - i,
                }).ToList(),
            },
            Redaction = new RedactionSummary
            {
                Categories = ["card", "phone"], Audio = ResultSchema.Files.RedactedAudio,
                Spans = [new RedactedSpan { Label = "PHONE", Start = words[2].Start, End = words[2].End, Speaker = words[2].Speaker }],
            },
        };
    }

    [Fact]
    public void Every_document_of_a_result_with_roles_analytics_and_redaction_matches_its_schema()
    {
        var r = Call();
        Assert.Equal("1.1", r.SchemaVersion);
        foreach (var (name, content) in ResultSetRenderer.Render(r).Where(f => f.FileName.EndsWith(".json", StringComparison.Ordinal)))
        {
            var validation = ResultValidator.Default.Validate(name, System.Text.Encoding.UTF8.GetString(content));
            Assert.True(validation.IsValid, $"{name}: {validation}");
        }
        var json = JsonNode.Parse(MtlJson.Serialize(r))!;
        Assert.Equal("agent", (string?)json["speakers"]![0]!["role"]);
        Assert.Null(json["speakers"]![2]!["role"]); // absent, not null, when there is no role
        Assert.False(json["speakers"]![2]!.AsObject().ContainsKey("role"));
        Assert.Equal(1.25, (double)json["analytics"]!["overlapSeconds"]!);
    }

    [Theory]
    [InlineData("/speakers/0", "role", "Agent")]
    [InlineData("/analytics/speakers/0", "share", "1.5")]
    [InlineData("/analytics", "turnCount", null)]
    [InlineData("/redaction/spans/0", "label", "SSN")]
    [InlineData("/redaction/spans/0", "text", "four five")]
    public void Drift_in_the_new_fields_fails_validation(string pointer, string property, string? value)
    {
        var json = JsonNode.Parse(MtlJson.Serialize(Call()))!;
        var target = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Aggregate(json, (node, part) => int.TryParse(part, out var i) ? node[i]! : node[part]!).AsObject();
        if (value is null) target.Remove(property);
        else target[property] = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(value);
        Assert.False(ResultValidator.Default.Validate(ResultSchema.Files.Result, json).IsValid);
    }

    [Fact]
    public void Captions_and_report_name_speakers_by_role_and_the_report_has_the_analytics_table()
    {
        var r = Call();
        var (agent, customer, third) = (r.Speakers[0].Id, r.Speakers[1].Id, r.Speakers[2].Id);
        var vtt = Captions.ToWebVtt(r);
        Assert.Contains("<v Agent>", vtt, StringComparison.Ordinal);
        Assert.Contains("<v Customer>", vtt, StringComparison.Ordinal);
        Assert.Contains($"<v {third}>", vtt, StringComparison.Ordinal);
        Assert.DoesNotContain($"<v {agent}>", vtt, StringComparison.Ordinal);
        Assert.Contains("[REDACTED:PHONE]", vtt, StringComparison.Ordinal);

        var html = ReportHtml.Render(r);
        Assert.Contains("<b class=\"who\">Agent</b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"<b class=\"who\">{agent}</b>", html, StringComparison.Ordinal);
        var table = html[html.IndexOf("<section class=\"analytics\"", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</section>", StringComparison.Ordinal)];
        Assert.Equal(3, table.Split("<tr data-speaker=").Length - 1);
        Assert.Contains("-23.4 dBFS", table, StringComparison.Ordinal);
        Assert.Contains("<td>141</td>", table, StringComparison.Ordinal);
        Assert.Contains("redacted: 1 span (card, phone)", table, StringComparison.Ordinal);
        Assert.Contains(">Customer</th>", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_without_analytics_renders_no_table()
    {
        var html = ReportHtml.Render(GeneratedResults.ThreeSpeakerCall());
        Assert.DoesNotContain("class=\"analytics\"", html, StringComparison.Ordinal);
    }
}
