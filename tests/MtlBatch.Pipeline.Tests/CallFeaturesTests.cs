using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Reports;

namespace MtlBatch.Pipeline.Tests;

/// <summary>Issue 15 through the pipeline: per-prefix channel roles and redaction (Features:Rules), analytics everywhere.</summary>
public sealed class CallFeaturesTests
{
    [Fact]
    public async Task A_prefix_rule_splits_channels_names_roles_and_redacts_and_the_redacted_word_is_stored_nowhere()
    {
        var phraseFolder = Directory.CreateTempSubdirectory("mtlbatch-phrases-").FullName;
        try { await PrefixRuleRunAsync(Path.Combine(phraseFolder, "phrases.txt")); }
        finally { Directory.Delete(phraseFolder, recursive: true); }
    }

    private static async Task PrefixRuleRunAsync(string phrases)
    {
        await File.WriteAllTextAsync(phrases, "# filled in once the model's words are known\n");
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Features:Rules:0:Prefix"] = "calls/",
            ["Features:Rules:0:Channels"] = "Split",
            ["Features:Rules:0:ChannelRoles:0"] = "agent",
            ["Features:Rules:0:ChannelRoles:1"] = "customer",
            ["Features:Rules:0:Redaction:Categories:0"] = "Card",
            ["Features:Rules:0:Redaction:Categories:1"] = "Phone",
            ["Features:Rules:0:Redaction:PhrasesPath"] = phrases,
            ["Features:Rules:0:Redaction:RedactedAudio"] = "true",
        });
        var stereo = TestMedia.Shared.Stereo(0, 4, 3.5);
        await h.UploadAsync("plain/call.wav", stereo);   // no rule: the Analysis section (mixed, no redaction)
        await h.UploadAsync("calls/first.wav", stereo);
        await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(4));

        var plain = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("plain/call.wav/result.json"));
        Assert.All(plain.Speakers, s => Assert.Null(s.Role));
        Assert.NotNull(plain.Analytics);
        Assert.Null(plain.Redaction);

        var first = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("calls/first.wav/result.json"));
        Assert.Equal([("ch1", "agent"), ("ch2", "customer")], first.Speakers.Select(s => (s.Id, s.Role)));
        Assert.All(first.Turns, t => Assert.Equal(t.Speaker == "ch1" ? "agent" : "customer", t.Role));
        Assert.Equal(["agent", "customer"], first.Analytics!.Speakers.Select(s => s.Role));
        Assert.Equal(["card", "phone"], first.Redaction!.Categories);  // the phrase list is still empty
        Assert.Equal(ResultSchema.Files.RedactedAudio, first.Redaction.Audio);
        var results = await h.ListResultsAsync();
        Assert.Contains("calls/first.wav/redacted.wav", results.Keys);
        Assert.DoesNotContain("plain/call.wav/redacted.wav", results.Keys);
        var vtt = await h.ReadResultTextAsync("calls/first.wav/transcript.vtt");
        Assert.DoesNotContain("<v ch", vtt, StringComparison.Ordinal);
        if (first.Transcript.Words.Count > 0) Assert.Matches("<v (Agent|Customer)>", vtt);
        Assert.Contains("<b class=\"who\">", await h.ReadResultTextAsync("calls/first.wav/report.html"), StringComparison.Ordinal);

        // The model is weak, so what it says is not asserted: redact a word it said, as a phrase, in a second upload.
        var skeleton = ReportHtml.Render(first with { Transcript = new Transcript { Text = "", Words = [] }, Turns = [] });
        var secret = first.Transcript.Words.Select(w => w.Text).Where(w => w.Length >= 3 && !skeleton.Contains(w, StringComparison.Ordinal))
            .OrderByDescending(w => w.Length).ThenBy(w => w, StringComparer.Ordinal).FirstOrDefault();
        Assert.NotNull(secret);
        await File.AppendAllTextAsync(phrases, secret + "\n");
        await h.UploadAsync("calls/second.wav", stereo);
        await h.RunWorkerOnceAsync(TimeSpan.FromMinutes(4));

        results = await h.ListResultsAsync();
        var second = results.Keys.Where(k => k.StartsWith("calls/second.wav/", StringComparison.Ordinal)).ToList();
        Assert.Equal(ResultSetRenderer.FileNames.Append(ResultSchema.Files.RedactedAudio).Order(StringComparer.Ordinal),
            second.Select(k => k["calls/second.wav/".Length..]).Order(StringComparer.Ordinal));
        foreach (var name in second.Where(n => !n.EndsWith(".wav", StringComparison.Ordinal)))
        {
            var text = await h.ReadResultTextAsync(name);
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{name} contains the redacted word '{secret}'");
            if (name.EndsWith(".json", StringComparison.Ordinal))
                Assert.True(ResultValidator.Default.Validate(name[(name.LastIndexOf('/') + 1)..], text).IsValid, name);
        }
        var redacted = MtlJson.Deserialize<AnalysisResult>(await h.ReadResultTextAsync("calls/second.wav/result.json"));
        Assert.Equal(["card", "phone", "phrases"], redacted.Redaction!.Categories);
        Assert.Equal(first.Transcript.Words.Count(w => w.Text == secret), redacted.Redaction.Spans.Count(s => s.Label == "PHRASE"));
        Assert.Contains("[REDACTED:PHRASE]", await h.ReadResultTextAsync("calls/second.wav/transcript.vtt"), StringComparison.Ordinal);

        // Nothing else the pipeline wrote holds it either: events and ledger rows; and no decoded audio is left behind.
        var events = await h.DrainEventsAsync();
        Assert.Equal(3, events.Count(e => e.State == "Succeeded")); // plain, first, second
        Assert.DoesNotContain(events, e => MtlJson.Serialize(e).Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(await h.JobRowsAsync(), r => MtlJson.Serialize(r).Contains(secret, StringComparison.Ordinal));
        await foreach (var blob in h.Storage.Decoded.GetBlobsAsync()) Assert.Fail($"decoded audio left behind: {blob.Name}");
    }

    [Fact]
    public void Bad_feature_rules_stop_the_start_with_one_line_per_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Features:Rules:0:Prefix"] = "calls/",
            ["Features:Rules:0:ChannelRoles:0"] = "agent",              // roles without split
            ["Features:Rules:1:Prefix"] = "calls/",                     // the same prefix twice
            ["Features:Rules:2:Prefix"] = "clinic/",
            ["Features:Rules:2:Channels"] = "Split",
            ["Features:Rules:2:ChannelRoles:0"] = "Doctor Who",         // not a role
            ["Features:Rules:3:Prefix"] = "bank/",
            ["Features:Rules:3:Redaction:PhrasesPath"] = "/nonexistent/phrases.txt",
            ["Features:Rules:4:Prefix"] = "",
            ["Analysis:ChannelRoles:0"] = "agent",                      // the Analysis section too: Channels is Mix
        }).Build();
        using var provider = new ServiceCollection().AddMtlBatchPipeline(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => PipelineOptionsValidation.ValidateAll(provider));
        var lines = PipelineOptionsValidation.Describe(error).Split(Environment.NewLine);
        Assert.Contains("Features:Rules:0:ChannelRoles = agent: needs Channels = Split", lines);
        Assert.Contains("Features:Rules:1:Prefix = calls/: another rule has the same prefix", lines);
        Assert.Contains(lines, l => l.StartsWith("Features:Rules:2:ChannelRoles = Doctor Who: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Features:Rules:3:Redaction:PhrasesPath = /nonexistent/phrases.txt: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Features:Rules:4:Prefix: must not be empty", StringComparison.Ordinal));
        Assert.Contains("Analysis:ChannelRoles = agent: needs Analysis:Channels = Split", lines);
    }

    [Fact]
    public void The_longest_matching_prefix_decides_and_unset_settings_keep_the_analysis_section()
    {
        var features = new RecordingFeatureOptions
        {
            Rules =
            [
                new() { Prefix = "calls/", Channels = ChannelMode.Split, ChannelRoles = ["agent", "customer"] },
                new() { Prefix = "calls/vip/", Redaction = new RedactionOptions { Categories = [RedactionCategory.Card] } },
            ],
        };
        var defaults = new AnalysisOptions { BeamWidth = 4, Redaction = new RedactionOptions { Categories = [RedactionCategory.Email] } };

        var calls = features.For("calls/a.wav", defaults);
        Assert.Equal((ChannelMode.Split, 4), (calls.Channels, calls.BeamWidth));
        Assert.Equal(["agent", "customer"], calls.ChannelRoles);
        Assert.Equal([RedactionCategory.Email], calls.Redaction.Categories);

        var vip = features.For("calls/vip/b.wav", defaults);
        Assert.Equal((ChannelMode.Mix, 0), (vip.Channels, vip.ChannelRoles.Count)); // the longer rule wins; it sets no channels
        Assert.Equal([RedactionCategory.Card], vip.Redaction.Categories);

        Assert.Same(defaults, features.For("other/c.wav", defaults));
        Assert.Same(defaults, features.For("Calls/a.wav", defaults)); // blob names are case-sensitive
        Assert.Equal([RedactionCategory.Email], defaults.Redaction.Categories); // the defaults are never changed
    }
}
