using MtlBatch.Corpus;

namespace MtlBatch.Corpus.Tests;

/// <summary><c>mtlbatch corpus stats</c>: the counts behind the docs/corpus-v2.md table.</summary>
public sealed class CorpusStatisticsTests
{
    private static UtteranceEntry Utterance(string id, string split, double seconds, string speaker, string? engine = null, string? source = null,
        string[]? augment = null, string? phone = null) =>
        new() { Id = id, Audio = $"audio/{id}.wav", Duration = seconds, Speaker = speaker, Split = split, Engine = engine, Source = source, Augment = augment, PhoneType = phone };

    [Fact]
    public async Task Counts_utterances_hours_speakers_and_telephone_share_per_group_and_split()
    {
        var folder = Directory.CreateTempSubdirectory("mtlbatch-stats").FullName;
        try
        {
            await ManifestIo.WriteLinesAsync(Path.Combine(folder, "train.jsonl"), [
                Utterance("a", "train", 1800, "spk001", engine: "rhvoice:slt", augment: ["noise:pink:20dB", "telephone:pcm_mulaw"]),
                Utterance("b", "train", 1800, "spk001", engine: "rhvoice:slt"),
                Utterance("c", "train", 3600, "spk002", engine: "rhvoice", augment: ["mp3"]),
                Utterance("d", "train", 360, "wuw-0001", engine: "real", source: "wuw", phone: "cellphone"),
            ], CancellationToken.None);
            await ManifestIo.WriteLinesAsync(Path.Combine(folder, "test.jsonl"), [Utterance("e", "test", 36, "spk009", engine: "pico")], CancellationToken.None);
            await ManifestIo.WriteLinesAsync(Path.Combine(folder, "conversations.jsonl"), [
                new ConversationEntry
                {
                    Id = "c0", Audio = "conversations/c0.wav", Audio2Ch = "conversations/c0.2ch.wav", Duration = 720,
                    Segments = [
                        new ConversationSegment { Speaker = "spk009", Start = 0, End = 2, Text = "hello", Emotion = "neutral" },
                        new ConversationSegment { Speaker = "spk010", Start = 2, End = 4, Text = "hi", Emotion = "happy" },
                        new ConversationSegment { Speaker = "spk009", Start = 4, End = 6, Text = "bye", Emotion = "sad" },
                    ],
                },
            ], CancellationToken.None);

            var report = await CorpusStatistics.ComputeAsync(folder, CancellationToken.None);

            var rhvoice = Assert.Single(report.Rows, r => r.Group == "rhvoice" && r.Split == "train");
            Assert.Equal((3, 2.0, 2), (rhvoice.Utterances, rhvoice.Hours, rhvoice.Speakers));
            Assert.Equal(1.0 / 3, rhvoice.TelephoneShare, 6);
            var wuw = Assert.Single(report.Rows, r => r.Group == "wuw");
            Assert.Equal((1, 0.1, 1, 1.0), (wuw.Utterances, wuw.Hours, wuw.Speakers, wuw.TelephoneShare));
            var all = Assert.Single(report.Rows, r => r.Group == "all" && r.Split == "train");
            Assert.Equal((4, 2.1, 3, 0.5), (all.Utterances, Math.Round(all.Hours, 6), all.Speakers, all.TelephoneShare));
            Assert.Single(report.Rows, r => r.Group == "pico" && r.Split == "test");
            Assert.DoesNotContain(report.Rows, r => r.Split == "valid"); // no valid.jsonl: no rows
            Assert.Equal((1, 0.2, 1, 2), (report.Conversations, report.ConversationHours, report.TwoChannelConversations, report.ConversationSpeakers));

            var markdown = report.ToMarkdown();
            Assert.Contains("| rhvoice | train | 3 | 2.00 | 2 | 33 % |", markdown, StringComparison.Ordinal);
            Assert.Contains("| conversations | test | 1 (1 two-channel) | 0.20 | 2 | |", markdown, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_folder_without_manifests_is_an_error()
    {
        var folder = Directory.CreateTempSubdirectory("mtlbatch-stats").FullName;
        try
        {
            await Assert.ThrowsAsync<FileNotFoundException>(() => CorpusStatistics.ComputeAsync(folder, CancellationToken.None));
            await Assert.ThrowsAsync<DirectoryNotFoundException>(() => CorpusStatistics.ComputeAsync(Path.Combine(folder, "missing"), CancellationToken.None));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
