using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

/// <summary>The optional speakerName/speakerScore (voiceprints): valid against the 1.0 schema, and shown in captions and the report.</summary>
public class SpeakerNameTests
{
    private static AnalysisResult Named(string name)
    {
        var r = GeneratedResults.ThreeSpeakerCall();
        var id = r.Speakers[1].Id;
        return r with
        {
            Speakers = [.. r.Speakers.Select(s => s.Id == id ? s with { SpeakerName = name, SpeakerScore = 0.9712 } : s)],
            Turns = [.. r.Turns.Select(t => t.Speaker == id ? t with { SpeakerName = name, SpeakerScore = 0.9712 } : t)],
        };
    }

    [Fact]
    public void Named_speakers_match_the_schema_and_a_name_needs_its_score()
    {
        var r = Named("Dana Kowalski");
        foreach (var (file, json) in new[] { (ResultSchema.Files.Result, MtlJson.Serialize(r)), (ResultSchema.Files.Speakers, MtlJson.Serialize(r.ToSpeakersDocument())) })
        {
            var validation = ResultValidator.Default.Validate(file, json);
            Assert.True(validation.IsValid, validation.ToString());
        }
        var nameOnly = r with { Speakers = [.. r.Speakers.Select(s => s with { SpeakerScore = null })] };
        Assert.False(ResultValidator.Default.Validate(ResultSchema.Files.Result, MtlJson.Serialize(nameOnly)).IsValid);
    }

    [Fact]
    public void Captions_and_report_show_the_name_and_keep_the_other_speakers_ids()
    {
        var r = Named("Dana Kowalski");
        var id = r.Speakers[1].Id;
        var vtt = Captions.ToWebVtt(r);
        Assert.Contains("<v Dana Kowalski>", vtt, StringComparison.Ordinal);
        Assert.DoesNotContain($"<v {id}>", vtt, StringComparison.Ordinal);
        Assert.Contains($"<v {r.Speakers[0].Id}>", vtt, StringComparison.Ordinal);
        Assert.Contains("Dana Kowalski: ", Captions.ToSrt(r), StringComparison.Ordinal);

        var html = ReportHtml.Render(r);
        Assert.Contains("<b>Dana Kowalski</b>", html, StringComparison.Ordinal);
        Assert.Contains($"{id} \u00b7 voice match 0.97", html, StringComparison.Ordinal);
        Assert.Contains($"<b class=\"who\" title=\"{id}, voice match 0.97\">Dana Kowalski</b>", html, StringComparison.Ordinal);
        Assert.Contains($"<b class=\"who\">{r.Speakers[0].Id}</b>", html, StringComparison.Ordinal);

        // Without names nothing changes.
        Assert.DoesNotContain("voice match", ReportHtml.Render(GeneratedResults.ThreeSpeakerCall()), StringComparison.Ordinal);
    }
}
