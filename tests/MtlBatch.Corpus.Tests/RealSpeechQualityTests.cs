using System.Text.Json;
using MtlBatch.Core;
using MtlBatch.Evaluation;

namespace MtlBatch.Corpus.Tests;

/// <summary>
/// The bundled model on committed held-out REAL clips (tests/data/real-heldout: a corpus folder with test.jsonl and
/// audio/*.wav, at most 2 MB) must stay within a margin of the figures recorded for it in
/// models/mtl-small.real-heldout.eval.json (written by <c>mtlbatch eval --set tests/data/real-heldout --out ...</c>,
/// docs/evaluation.md). The clips are the same, so the margin only absorbs numeric differences between machines;
/// a retrained model without a re-measured file fails here on purpose.
/// </summary>
public sealed class RealHeldOutFixture : IAsyncLifetime
{
    public const string Folder = "tests/data/real-heldout";
    public const string CardFile = "models/mtl-small.real-heldout.eval.json";
    public const long MaxBytes = 2L * 1024 * 1024;
    public static string Root { get; } = Path.GetDirectoryName(Path.GetDirectoryName(ModelLocator.FindDefault()))!;
    public string FolderPath { get; } = Path.Combine(Root, Folder);

    public EvaluationReport? Report { get; private set; }
    public JsonElement? Card { get; private set; }
    /// <summary>Why the check cannot run (missing clips or figures); null when it can.</summary>
    public string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        var manifest = Path.Combine(FolderPath, "test.jsonl");
        var card = Path.Combine(Root, CardFile);
        if (!File.Exists(manifest))
        {
            Missing = $"{Folder}/test.jsonl is missing: the real held-out clips (a corpus folder, docs/corpus-format.md: test.jsonl + audio/*.wav, " +
                $"16 kHz mono, at most 2 MB) are committed by the real-corpus importer (issue #12); see docs/evaluation.md.";
            return;
        }
        if (!File.Exists(card))
        {
            Missing = $"{CardFile} is missing: measure the bundled model on the clips with " +
                $"`mtlbatch eval --set {Folder} --out {CardFile}` and commit it (docs/evaluation.md).";
            return;
        }
        Card = JsonDocument.Parse(await File.ReadAllTextAsync(card)).RootElement;
        Report = await RealShapedSetsFixture.EvaluateAsync([FolderPath]);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public class RealSpeechQualityTests(RealHeldOutFixture set) : IClassFixture<RealHeldOutFixture>
{
    private (EvaluationReport Report, JsonElement Card) Require()
    {
        Assert.True(set.Missing is null, set.Missing);
        return (set.Report!, set.Card!.Value);
    }

    private static double? CardValue(JsonElement card, string name) =>
        card.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    [Fact]
    public void The_committed_real_clips_stay_small_and_are_a_valid_corpus_folder()
    {
        Assert.True(Directory.Exists(set.FolderPath), set.Missing);
        Assert.True(File.Exists(Path.Combine(set.FolderPath, "test.jsonl")), set.Missing);
        var bytes = Directory.EnumerateFiles(set.FolderPath, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= RealHeldOutFixture.MaxBytes, $"{RealHeldOutFixture.Folder} holds {bytes / 1e6:F2} MB, the limit is {RealHeldOutFixture.MaxBytes / 1e6:F2} MB");
    }

    [Fact]
    public void The_figures_were_measured_on_these_clips_with_the_same_decoder()
    {
        var (report, card) = Require();
        Assert.Equal(card.GetProperty("utterances").GetInt32(), report.Utterances);
        Assert.Equal(card.GetProperty("transcribedUtterances").GetInt32(), report.TranscribedUtterances);
        Assert.Equal(card.GetProperty("modelVersion").GetString(), report.ModelVersion);
        Assert.Equal(card.GetProperty("languageModel").GetString(), report.LanguageModel);
        Assert.True(report.TranscribedUtterances > 0, "the real held-out clips must include transcribed utterances");
    }

    [Fact]
    public void Transcripts_on_real_speech_match_the_recorded_figures()
    {
        var (report, card) = Require();
        // Error rates may not rise by more than the margin; accuracies may not fall by more than it.
        foreach (var (name, value, margin, lowerIsBetter) in new (string, double?, double, bool)[]
        {
            ("cer", report.Cer, 0.02, true), ("wer", report.Wer, 0.03, true), ("werWithoutLm", report.WerWithoutLm, 0.03, true),
            ("wordAccuracy", report.WordAccuracy, 0.05, false), ("speakerEer", report.SpeakerEer, 0.03, true),
        })
        {
            if (CardValue(card, name) is not { } recorded) { Assert.Null(value); continue; }
            Assert.True(value is not null, $"{name} was recorded as {recorded:P1} but is not measurable now");
            Assert.True(lowerIsBetter ? value <= recorded + margin : value >= recorded - margin,
                $"{name} {value:P1} vs recorded {recorded:P1} (margin {margin:P0}) on {RealHeldOutFixture.Folder}");
        }
    }
}
