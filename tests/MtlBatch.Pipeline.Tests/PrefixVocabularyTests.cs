using Microsoft.Extensions.Options;
using MtlBatch.Inference;

namespace MtlBatch.Pipeline.Tests;

/// <summary>Issue 13, item 3 in the pipeline: a custom vocabulary per upload prefix (Features:Rules:N:Vocabulary).</summary>
public sealed class PrefixVocabularyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtlbatch-vocabulary-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Recordings_under_the_prefix_decode_with_its_vocabulary_and_the_others_without()
    {
        var vocabulary = Path.Combine(_folder, "clinic.txt");
        await File.WriteAllTextAsync(vocabulary, "amoxicillin\nzanzibar clinic 8\n");
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Pipeline:ModelVersion"] = "vocabulary-1",
            ["Features:Rules:0:Prefix"] = "clinic/",
            ["Features:Rules:0:Vocabulary"] = vocabulary,
            ["Features:Rules:0:VocabularyBoost"] = "4",
        });
        await h.UploadAsync("clinic/visit.wav", TestMedia.Shared.Speech(0));
        await h.UploadAsync("calls/call.wav", TestMedia.Shared.Speech(0));

        var report = await h.RunWorkerOnceAsync();

        Assert.Equal(2, report.JobsSucceeded);
        var asked = h.Counting!.Vocabularies.ToList();
        Assert.Equal(2, asked.Count);
        Assert.Single(asked, v => v is null);                                      // calls/: the default decoder
        Assert.Single(asked, v => v == new VocabularySelection(vocabulary, 4));    // clinic/: the rule's vocabulary

        // The analyzer the real source hands out for that choice decodes with the two entries in its lexicon.
        var analyzer = (SpeechAnalyzer)await TestModel.Analyzers.GetAnalyzerAsync(new VocabularySelection(vocabulary, 4), CancellationToken.None);
        Assert.Contains("+ 2 custom", analyzer.LanguageModel!.Describe(), StringComparison.Ordinal);
        var plain = (SpeechAnalyzer)await TestModel.Analyzers.GetAnalyzerAsync(null, CancellationToken.None);
        Assert.DoesNotContain("custom", plain.LanguageModel!.Describe(), StringComparison.Ordinal);
        Assert.Same(analyzer, await TestModel.Analyzers.GetAnalyzerAsync(new VocabularySelection(vocabulary, 4), CancellationToken.None)); // built once
    }

    [Fact]
    public async Task A_rule_whose_vocabulary_file_is_missing_is_refused_at_start_up()
    {
        await using var h = await PipelineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Features:Rules:0:Prefix"] = "clinic/",
            ["Features:Rules:0:Vocabulary"] = Path.Combine(_folder, "missing.txt"),
        });
        var error = Assert.Throws<OptionsValidationException>(() => h.Get<IOptions<RecordingFeatureOptions>>().Value);
        Assert.Contains("Features:Rules:0:Vocabulary", error.Message, StringComparison.Ordinal);
    }
}
