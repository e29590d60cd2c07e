using MtlBatch.Audio;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Corpus;
using MtlBatch.Corpus.Text;

namespace MtlBatch.Corpus.Tests;

/// <summary>
/// Builds tiny real corpora once (all six engines, sox, ffmpeg) and checks them: two template corpora with different
/// parallelism, and one from a real-dialogue text folder written here with every conversation a two-channel call.
/// </summary>
public sealed class TinyCorpusFixture : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-test-" + Guid.NewGuid().ToString("N"));
    public string Folder2 { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-test-" + Guid.NewGuid().ToString("N"));
    public string TextCorpus { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-test-" + Guid.NewGuid().ToString("N"));
    public string TextFolder { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-text-" + Guid.NewGuid().ToString("N"));
    public CorpusSummary Summary { get; private set; } = null!;

    public static readonly string[] TrainSentences = ["i would like to book a table for two people", "the ticket costs twelve dollars and fifty cents", "can you tell me more about that place"];
    public static readonly string[] HeldOutSentences = ["my appointment is at three thirty p m", "how long have you had this headache"];
    public static readonly DialogueRecord HeldOutDialogue = new()
    {
        Id = "test:call-1", Source = "test", Split = "heldout",
        Turns =
        [
            new("agent", "thank you for calling how can i help you"), new("customer", "i would like to change my booking please"),
            new("agent", "of course what is the new date"), new("customer", "march third in the morning if possible"),
            new("agent", "that is done is there anything else"),
        ],
    };

    public static CorpusBuildOptions Options(string folder, int jobs) => new()
    {
        OutputFolder = folder, TrainHours = 0.01, ValidUtterances = 3, TestUtterances = 6, Conversations = 1, Seed = 7, Jobs = jobs,
    };

    public async Task InitializeAsync()
    {
        var builder = new CorpusBuilder(NullLogger<CorpusBuilder>.Instance);
        Summary = await builder.BuildAsync(Options(Folder, 2), null, CancellationToken.None);
        await builder.BuildAsync(Options(Folder2, 1), null, CancellationToken.None);
        Directory.CreateDirectory(TextFolder);
        await File.WriteAllLinesAsync(Path.Combine(TextFolder, DialogueText.TrainSentencesFile), TrainSentences);
        await File.WriteAllLinesAsync(Path.Combine(TextFolder, DialogueText.HeldOutSentencesFile), HeldOutSentences);
        await ManifestIo.WriteLinesAsync(Path.Combine(TextFolder, DialogueText.DialoguesFile),
            [HeldOutDialogue, HeldOutDialogue with { Id = "test:train-1", Split = "train", Turns = [.. HeldOutDialogue.Turns.Select(t => t with { Text = "this must never be heard in a conversation" })] }], CancellationToken.None);
        await builder.BuildAsync(new CorpusBuildOptions
        {
            OutputFolder = TextCorpus, TrainHours = 0.004, ValidUtterances = 2, TestUtterances = 2, Conversations = 1, Seed = 3, Jobs = 2,
            TextFolder = TextFolder, TelephoneConversationShare = 1,
        }, null, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        foreach (var f in new[] { Folder, Folder2, TextCorpus, TextFolder }) Directory.Delete(f, true);
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

    [Fact]
    public async Task Text_folder_sentences_and_dialogues_replace_the_templates()
    {
        foreach (var (split, pool) in new[] { ("train", TinyCorpusFixture.TrainSentences), ("valid", TinyCorpusFixture.HeldOutSentences), ("test", TinyCorpusFixture.HeldOutSentences) })
        {
            var entries = await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpus.TextCorpus, split + ".jsonl"), Ct);
            Assert.NotEmpty(entries);
            Assert.All(entries, e => Assert.Contains(e.Text, pool));
        }
        var c = Assert.Single(await ManifestIo.ReadLinesAsync<ConversationEntry>(Path.Combine(corpus.TextCorpus, "conversations.jsonl"), Ct));
        Assert.Equal(TinyCorpusFixture.HeldOutDialogue.Id, c.Dialogue);
        var turns = TinyCorpusFixture.HeldOutDialogue.Turns;
        // A window of consecutive turns, in order, each role spoken by one identity.
        var first = turns.ToList().FindIndex(t => t.Text == c.Segments[0].Text);
        Assert.True(first >= 0);
        Assert.Equal(turns.Skip(first).Take(c.Segments.Count).Select(t => t.Text), c.Segments.Select(g => g.Text));
        var roleOf = c.Segments.Select((g, i) => (g.Speaker, turns[first + i].Role)).Distinct().ToArray();
        Assert.Equal(roleOf.Length, roleOf.Select(r => r.Speaker).Distinct().Count());
        Assert.Equal(roleOf.Length, roleOf.Select(r => r.Role).Distinct().Count());
    }

    [Fact]
    public async Task Telephone_calls_have_one_party_per_channel_beside_the_mono_mixdown()
    {
        var c = Assert.Single(await ManifestIo.ReadLinesAsync<ConversationEntry>(Path.Combine(corpus.TextCorpus, "conversations.jsonl"), Ct));
        Assert.NotNull(c.Audio2Ch);
        var (mono, _, monoChannels) = WavReader.ReadAll(Path.Combine(corpus.TextCorpus, c.Audio));
        var (stereo, rate, channels) = WavReader.ReadAll(Path.Combine(corpus.TextCorpus, c.Audio2Ch!));
        Assert.Equal((1, 2, 16000), (monoChannels, channels, rate));
        Assert.Equal(mono.Length * 2, stereo.Length);
        Assert.Contains(c.Augment!, a => a.StartsWith("ch0:telephone:", StringComparison.Ordinal));
        Assert.Contains(c.Augment!, a => a.StartsWith("ch1:telephone:", StringComparison.Ordinal));
        Assert.Equal([0, 1], c.Segments.Select(g => g.Channel!.Value).Distinct().Order());
        foreach (var g in c.Segments)
        {
            // The speaking party's channel is much louder than the other during the segment (no cross-talk overlap).
            var overlap = c.Segments.Any(o => o != g && o.Channel != g.Channel && o.Start < g.End && g.Start < o.End);
            if (overlap) continue;
            double Energy(int ch) => Enumerable.Range((int)(g.Start * 16000), (int)((g.End - g.Start) * 16000)).Sum(i => (double)stereo[2 * i + ch] * stereo[2 * i + ch]);
            Assert.True(Energy(g.Channel!.Value) > 4 * Energy(1 - g.Channel!.Value), $"segment at {g.Start}s on channel {g.Channel}");
        }
        // The mono file is the mixdown of both sides.
        var mixError = mono.Select((m, i) => Math.Abs(m - (stereo[2 * i] + stereo[2 * i + 1]))).Max();
        Assert.True(mixError < 2e-4, $"mono differs from the channel sum by {mixError}");
    }

    [Fact]
    public async Task An_interrupted_build_resumes_and_gives_the_same_corpus()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            // An interruption after some utterances: their records under parts/, no manifests yet, the rest not synthesised.
            Directory.CreateDirectory(Path.Combine(folder, "parts"));
            Directory.CreateDirectory(Path.Combine(folder, "audio"));
            var all = new List<UtteranceEntry>();
            foreach (var split in new[] { "train", "valid", "test" })
                all.AddRange(await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(corpus.Folder, split + ".jsonl"), Ct));
            var kept = all.Where((_, i) => i % 2 == 0).ToArray();
            foreach (var e in kept)
            {
                File.Copy(Path.Combine(corpus.Folder, e.Audio), Path.Combine(folder, e.Audio));
                await ManifestIo.WriteLinesAsync(Path.Combine(folder, "parts", e.Id + ".json"), [e], Ct);
            }
            // A record whose wav is cut short is not trusted.
            var damaged = all[1];
            await File.WriteAllBytesAsync(Path.Combine(folder, damaged.Audio), (await File.ReadAllBytesAsync(Path.Combine(corpus.Folder, damaged.Audio)))[..2000], Ct);
            await ManifestIo.WriteLinesAsync(Path.Combine(folder, "parts", damaged.Id + ".json"), [damaged], Ct);

            var summary = await new CorpusBuilder(NullLogger<CorpusBuilder>.Instance).BuildAsync(TinyCorpusFixture.Options(folder, 2), null, Ct);
            Assert.Equal(kept.Length, summary.Resumed);
            foreach (var file in new[] { "train.jsonl", "valid.jsonl", "test.jsonl", "conversations.jsonl" })
                Assert.Equal(await File.ReadAllTextAsync(Path.Combine(corpus.Folder, file)), await File.ReadAllTextAsync(Path.Combine(folder, file)));
            Assert.False(Directory.Exists(Path.Combine(folder, "parts")));

            // A complete corpus built again is kept whole.
            var again = await new CorpusBuilder(NullLogger<CorpusBuilder>.Instance).BuildAsync(TinyCorpusFixture.Options(folder, 2), null, Ct);
            Assert.Equal(all.Count + 1, again.Resumed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
