using MtlBatch.Audio;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

/// <summary>Builds a tiny real corpus once (espeak-ng, flite, festival, sox, ffmpeg) and checks it.</summary>
public sealed class TinyCorpusFixture : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-test-" + Guid.NewGuid().ToString("N"));
    public string Folder2 { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-test-" + Guid.NewGuid().ToString("N"));
    public CorpusSummary Summary { get; private set; } = null!;

    public static CorpusBuildOptions Options(string folder, int jobs) => new()
    {
        OutputFolder = folder, TrainHours = 0.01, ValidUtterances = 3, TestUtterances = 6, Conversations = 1, Seed = 7, Jobs = jobs,
    };

    public async Task InitializeAsync()
    {
        var builder = new CorpusBuilder(NullLogger<CorpusBuilder>.Instance);
        Summary = await builder.BuildAsync(Options(Folder, 2), null, CancellationToken.None);
        await builder.BuildAsync(Options(Folder2, 1), null, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, true);
        Directory.Delete(Folder2, true);
        return Task.CompletedTask;
    }
}

public class CorpusBuilderTests(TinyCorpusFixture corpus) : IClassFixture<TinyCorpusFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Same_seed_gives_the_same_manifests_whatever_the_parallelism()
    {
        foreach (var file in new[] { "train.jsonl", "valid.jsonl", "test.jsonl", "conversations.jsonl", "inventory.json" })
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(corpus.Folder, file)), await File.ReadAllTextAsync(Path.Combine(corpus.Folder2, file)));
    }

    [Fact]
    public async Task Every_utterance_has_consistent_labels_and_audio()
    {
        var inventory = await ManifestIo.ReadInventoryAsync(Path.Combine(corpus.Folder, "inventory.json"), Ct);
        foreach (var split in new[] { "train", "valid", "test" })
        {
            var entries = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpus.Folder, split + ".jsonl"), Ct);
            Assert.NotEmpty(entries);
            foreach (var e in entries)
            {
                var (samples, rate, _) = WavReader.ReadAll(Path.Combine(corpus.Folder, e.Audio));
                Assert.Equal(16000, rate);
                Assert.InRange(Math.Abs(e.Duration - samples.Length / 16000.0), 0, 0.001);
                Assert.Equal(TextNormalizer.Normalize(e.Text!), e.Text);
                Assert.All(e.Text!, c => Assert.Contains(c.ToString(), inventory.Chars));
                Assert.NotEmpty(e.Phonemes!);
                Assert.All(e.Phonemes!, p => Assert.Contains(p, inventory.Phonemes.Skip(1)));
                Assert.Contains(e.Emotion, inventory.Emotions);
                Assert.NotEmpty(e.Vad!);
                Assert.All(e.Vad!, v => Assert.True(v[0] >= 0 && v[0] < v[1] && v[1] <= e.Duration + 1e-6, $"{e.Id} vad {v[0]}-{v[1]}"));
                // Speech must be louder than the leading silence the builder inserted.
                Assert.True(e.Vad![0][0] > 0.05, $"{e.Id} starts speaking at {e.Vad![0][0]}");
                Assert.Equal(split, e.Split);
                Assert.Contains(e.Speaker, split == "test" ? inventory.TestSpeakers : inventory.TrainSpeakers);
            }
        }
    }

    [Fact]
    public async Task Test_split_holds_out_speakers_and_sentences()
    {
        var inventory = await ManifestIo.ReadInventoryAsync(Path.Combine(corpus.Folder, "inventory.json"), Ct);
        Assert.True(inventory.TrainSpeakers.Count + inventory.TestSpeakers.Count >= 60);
        Assert.True(inventory.TestSpeakers.Count >= 12);
        Assert.Empty(inventory.TrainSpeakers.Intersect(inventory.TestSpeakers));
        var train = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpus.Folder, "train.jsonl"), Ct);
        var test = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpus.Folder, "test.jsonl"), Ct);
        Assert.All(train, e => Assert.False(SentenceSource.IsHeldOut(e.Text!)));
        Assert.All(test, e => Assert.True(SentenceSource.IsHeldOut(e.Text!)));
    }

    [Fact]
    public async Task Conversations_have_ordered_references_inside_the_audio()
    {
        var conversations = await ManifestIo.ReadLinesAsync<ConversationEntry>(Path.Combine(corpus.Folder, "conversations.jsonl"), Ct);
        var inventory = await ManifestIo.ReadInventoryAsync(Path.Combine(corpus.Folder, "inventory.json"), Ct);
        var c = Assert.Single(conversations);
        var (samples, _, _) = WavReader.ReadAll(Path.Combine(corpus.Folder, c.Audio));
        Assert.InRange(Math.Abs(c.Duration - samples.Length / 16000.0), 0, 0.001);
        Assert.InRange(c.Segments.Select(s => s.Speaker).Distinct().Count(), 2, 4);
        Assert.All(c.Segments, s => Assert.Contains(s.Speaker, inventory.TestSpeakers));
        for (var i = 1; i < c.Segments.Count; i++) Assert.True(c.Segments[i].Start >= c.Segments[i - 1].Start);
        Assert.All(c.Segments, s => Assert.True(s.Start < s.End && s.End <= c.Duration));
    }

    [Fact]
    public void Summary_reports_what_was_built()
    {
        Assert.True(corpus.Summary.TrainUtterances > 0);
        Assert.True(corpus.Summary.TrainHours > 0.005);
        Assert.Equal(1, corpus.Summary.Conversations);
    }
}
