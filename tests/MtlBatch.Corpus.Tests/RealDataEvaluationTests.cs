using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;
using MtlBatch.Evaluation;
using MtlBatch.Inference;

namespace MtlBatch.Corpus.Tests;

/// <summary>
/// Three corpus folders shaped like the real held-out sets (docs/evaluation.md): telephone-style utterances with
/// metadata fields and no emotion/phonemes/vad, single-word commands with a silence clip, speaker-only clips, and one
/// conversation with turns but no text or emotion.
/// </summary>
public sealed class RealShapedSetsFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "mtlbatch-realshaped-" + Guid.NewGuid().ToString("N"));
    public string Calls => Path.Combine(Root, "calls");
    public string Commands => Path.Combine(Root, "commands");
    public string Read => Path.Combine(Root, "read");
    public static readonly (string Utterance, string Speaker, string Text)[] CallLines =
    [
        ("001", "s1", "operator"), ("001", "s2", "operator"),
        ("006", "s1", "please call my office tomorrow"), ("006", "s2", "the weather is nice today"),
    ];

    public async Task InitializeAsync()
    {
        var calls = new List<object>();
        foreach (var (utt, spk, text) in CallLines)
        {
            var id = $"{spk}_{utt}";
            var d = await SpeechClips.SynthesizeAsync(Path.Combine(Calls, "audio", id + ".wav"), text, spk == "s1" ? "en-us+m3" : "en-us+f2");
            calls.Add(new { id, audio = $"audio/{id}.wav", duration = d, text, speaker = spk, source = "calls", utterance = utt, phone = "landline" });
        }
        await SpeechClips.WriteManifestAsync(Path.Combine(Calls, "test.jsonl"), calls);
        // The conversation: turns only (text "" and emotion "" mean unknown), as imported meetings are.
        var spans = await SpeechClips.ConcatenateAsync(Path.Combine(Calls, "conversations", "c1.wav"),
            [Path.Combine(Calls, "audio", "s1_006.wav"), Path.Combine(Calls, "audio", "s2_006.wav")]);
        var conversation = new
        {
            id = "c1", audio = "conversations/c1.wav", duration = spans[^1].End + 0.2,
            segments = new[] { new { speaker = "A", start = spans[0].Start, end = spans[0].End, text = "", emotion = "" },
                               new { speaker = "B", start = spans[1].Start, end = spans[1].End, text = "", emotion = "" } },
        };
        await SpeechClips.WriteManifestAsync(Path.Combine(Calls, "conversations.jsonl"), [conversation]);
        await File.WriteAllTextAsync(Path.Combine(Calls, "empty.jsonl"), ""); // a meeting corpus's test.jsonl may be empty

        var commands = new List<object>();
        foreach (var (id, word, spk) in new[] { ("c1", "yes", "s1"), ("c2", "stop", "s2") })
        {
            var d = await SpeechClips.SynthesizeAsync(Path.Combine(Commands, "audio", id + ".wav"), word, spk == "s1" ? "en-us+m1" : "en-us+f4");
            commands.Add(new { id, audio = $"audio/{id}.wav", duration = d, text = word, speaker = spk, vad = new[] { new[] { 0.0, d } } });
        }
        var silence = await SpeechClips.SynthesizeAsync(Path.Combine(Commands, "audio", "sil.wav"), null);
        commands.Add(new { id = "sil", audio = "audio/sil.wav", duration = silence, speaker = "s1", vad = Array.Empty<double[]>() });
        await SpeechClips.WriteManifestAsync(Path.Combine(Commands, "test.jsonl"), commands);

        var read = new List<object>();
        foreach (var (id, spk, text) in new[] { ("r1", "s1", "it was a bright cold day"), ("r2", "s1", "the clocks were striking thirteen"),
                                                 ("r3", "s2", "winston smith hurried home"), ("r4", "s2", "his chin nuzzled into his breast") })
        {
            var d = await SpeechClips.SynthesizeAsync(Path.Combine(Read, "audio", id + ".wav"), text, spk == "s1" ? "en-gb+m2" : "en-gb+f3");
            read.Add(new { id, audio = $"audio/{id}.wav", duration = d, speaker = spk });
        }
        await SpeechClips.WriteManifestAsync(Path.Combine(Read, "test.jsonl"), read);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, true);
        return Task.CompletedTask;
    }

    public static async Task<EvaluationReport> EvaluateAsync(IReadOnlyList<string> sets, IAsrPeer? peer = null, EvaluationOptions? options = null)
    {
        using var factory = MtlModelFactory.FromPath(ModelLocator.FindDefault(), new MtlModelOptions { Device = DevicePreference.Cpu });
        return await new ModelEvaluator(factory, NullLogger<ModelEvaluator>.Instance, peer)
            .EvaluateAsync(sets, options ?? new EvaluationOptions(), CancellationToken.None);
    }
}

/// <summary>A peer that returns a fixed answer per file: the wiring of peer scores, independent of any recogniser's quality.</summary>
internal sealed class ScriptedPeer(Func<string, string> answer) : IAsrPeer
{
    public List<string> Files { get; } = [];
    public string Name => "scripted";

    public Task<string> TranscribeAsync(string wavPath, CancellationToken cancellationToken)
    {
        Files.Add(wavPath);
        return Task.FromResult(answer(wavPath));
    }
}

public class RealDataEvaluationTests(RealShapedSetsFixture sets) : IClassFixture<RealShapedSetsFixture>
{
    [Fact]
    public async Task Metrics_without_labels_are_null_and_counts_say_what_was_scored()
    {
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls, sets.Commands, sets.Read]);
        Assert.Equal(11, r.Utterances);
        Assert.Equal(6, r.TranscribedUtterances);
        Assert.Equal(4, r.SingleWordUtterances);
        Assert.NotNull(r.Wer);
        Assert.NotNull(r.WordAccuracy);
        Assert.Equal(0, r.PhonemeUtterances);
        Assert.Null(r.Per);
        Assert.Equal(0, r.EmotionUtterances);
        Assert.Null(r.EmotionAccuracy);
        Assert.Null(r.EmotionMacroF1);
        Assert.Null(r.EmotionF1);
        Assert.Equal(3, r.VadUtterances);
        Assert.NotNull(r.VadF1);
        Assert.Null(r.Peer);
        // The JSON says null, not 0 or NaN (NaN would not even serialise).
        var json = JsonDocument.Parse(MtlJson.Serialize(r)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("emotionAccuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("per").ValueKind);
        Assert.Equal(0, json.GetProperty("emotionUtterances").GetInt32());
    }

    [Fact]
    public async Task Speaker_eer_is_over_the_union_of_the_sets_whose_speakers_are_different_people()
    {
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls, sets.Commands, sets.Read]);
        // s1/s2 in each of three folders = six speakers; the silence clip (vad []) is no speaker trial.
        Assert.Equal(6, r.Speakers);
        Assert.Equal(10, r.SpeakerUtterances);
        Assert.Equal(2 /* calls: one pair each */ + 0 /* commands: one speech clip each */ + 2 /* read */, r.GenuineTrials);
        Assert.Equal(10 * 9 / 2 - 4, r.ImpostorTrials);
        Assert.NotNull(r.SpeakerEer);
        Assert.InRange(r.SpeakerEer!.Value, 0, 1);
        var commandsOnly = await RealShapedSetsFixture.EvaluateAsync([sets.Commands]);
        Assert.Equal(0, commandsOnly.GenuineTrials);
        Assert.Null(commandsOnly.SpeakerEer);
    }

    [Fact]
    public async Task Groups_split_keywords_from_sentences_and_sets_from_each_other()
    {
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls, sets.Commands, sets.Read]);
        GroupMetrics G(string field, string value) => Assert.Single(r.Groups, g => g.Field == field && g.Value == value);
        Assert.Equal(2, G("utterance", "001").TranscribedUtterances);
        Assert.Equal(2, G("utterance", "001").SingleWordUtterances);
        Assert.Equal(2, G("utterance", "006").TranscribedUtterances);
        Assert.Equal(0, G("utterance", "006").SingleWordUtterances);
        Assert.Null(G("utterance", "006").WordAccuracy);
        Assert.Equal(7, G("utterance", "(absent)").Utterances);
        // The default WUW ranges: keywords 001-005 against spontaneous sentences 006-010.
        Assert.Equal(2, G("utterance:keywords/spontaneous", "keywords").TranscribedUtterances);
        Assert.Equal(G("utterance", "006").Wer, G("utterance:keywords/spontaneous", "spontaneous").Wer);
        Assert.Equal(7, G("utterance:keywords/spontaneous", "(absent)").Utterances);
        Assert.Equal(4, G("words", "one").TranscribedUtterances);
        Assert.Equal(2, G("words", "several").TranscribedUtterances);
        Assert.Equal(4, G("set", "calls").Utterances);
        Assert.Equal(3, G("set", "commands").Utterances);
        Assert.Equal(4, G("set", "read").Utterances);
        Assert.Null(G("set", "read").Wer);
        // "phone" is "landline" in one set and absent in the others: two groups.
        Assert.Equal(2, r.Groups.Count(g => g.Field == "phone"));
        // The groups of one field partition the totals.
        Assert.Equal(r.Utterances, r.Groups.Where(g => g.Field == "set").Sum(g => g.Utterances));
        Assert.Equal(r.TranscribedUtterances, r.Groups.Where(g => g.Field == "utterance").Sum(g => g.TranscribedUtterances));
        // A field with one value in the whole run splits nothing and is not reported.
        var oneSet = await RealShapedSetsFixture.EvaluateAsync([sets.Calls]);
        Assert.DoesNotContain(oneSet.Groups, g => g.Field is "set" or "source" or "phone");
        Assert.Contains(oneSet.Groups, g => g.Field == "utterance");
    }

    [Fact]
    public async Task Conversations_with_turns_only_are_scored_for_der_and_speaker_count_but_not_wer_or_emotion()
    {
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls]);
        Assert.Equal(1, r.Conversations);
        Assert.Equal(0, r.TranscribedConversations);
        Assert.Null(r.ConversationWer);
        Assert.Equal(0, r.EmotionConversations);
        Assert.Null(r.EmotionTimelineAccuracy);
        Assert.NotNull(r.Der);
        Assert.InRange(r.Der!.Value, 0, 2);
        Assert.NotNull(r.SpeakerCountAccuracy);
        var meetingsOnly = await RealShapedSetsFixture.EvaluateAsync([sets.Calls], options: new EvaluationOptions { UtteranceManifest = "empty.jsonl" });
        Assert.Equal(0, meetingsOnly.Utterances);
        Assert.Null(meetingsOnly.Wer);
        Assert.Null(meetingsOnly.SpeakerEer);
        Assert.Null(meetingsOnly.ModelRealtimeFactor);
        Assert.Equal(r.Der, meetingsOnly.Der);
        var noConversations = await RealShapedSetsFixture.EvaluateAsync([sets.Read]);
        Assert.Null(noConversations.Der);
        Assert.Null(noConversations.SpeakerCountAccuracy);
    }

    [Fact]
    public async Task One_run_reports_the_transcripts_with_and_without_the_language_model()
    {
        var withLm = await RealShapedSetsFixture.EvaluateAsync([sets.Calls]);
        Assert.StartsWith("on", withLm.LanguageModel, StringComparison.Ordinal);
        Assert.NotNull(withLm.WerWithoutLm);
        Assert.NotNull(withLm.WordAccuracyWithoutLm);
        // Acoustic only: neither the character LM nor the word LM next to the bundled model.
        var off = await RealShapedSetsFixture.EvaluateAsync([sets.Calls], options: new EvaluationOptions
        {
            LmWeight = 0, PostProcessing = new PostProcessingOptions { Transcription = { WordLmWeight = 0 } },
        });
        Assert.Equal("off", off.LanguageModel);
        Assert.Null(off.WerWithoutLm);
        // The no-LM column of the LM run is the LM-off run's WER: the same acoustic decode.
        Assert.Equal(off.Wer!.Value, withLm.WerWithoutLm!.Value, 9);
        Assert.Equal(off.Cer!.Value, withLm.CerWithoutLm!.Value, 9);
    }

    [Fact]
    public async Task The_peer_runs_on_exactly_the_transcribed_files_and_is_scored_like_the_model()
    {
        var references = RealShapedSetsFixture.CallLines.ToDictionary(l => $"{l.Speaker}_{l.Utterance}.wav", l => l.Text);
        // Raw peer output in another casing and punctuation: the same normalisation as the references applies.
        var perfect = new ScriptedPeer(f => references[Path.GetFileName(f)].ToUpperInvariant() + ".");
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls, sets.Read], perfect);
        Assert.Equal(4, perfect.Files.Count);
        Assert.All(perfect.Files, f => Assert.StartsWith(sets.Calls, f, StringComparison.Ordinal));
        Assert.Equal(0, r.Peer!.Wer!.Value, 9);
        Assert.Equal(1, r.Peer.WordAccuracy!.Value, 9);
        Assert.Equal(4, r.Peer.TranscribedUtterances);
        Assert.NotNull(r.Peer.RealtimeFactor);

        // A peer that only gets the keywords: WER = the sentence words over all reference words, per group too.
        var keywordsOnly = new ScriptedPeer(f => Path.GetFileName(f).EndsWith("_001.wav", StringComparison.Ordinal) ? "operator" : "");
        var k = await RealShapedSetsFixture.EvaluateAsync([sets.Calls], keywordsOnly);
        Assert.Equal((5.0 + 5.0) / (1 + 1 + 5 + 5), k.Peer!.Wer!.Value, 9);
        Assert.Equal(1, k.Peer.WordAccuracy!.Value, 9);
        Assert.Equal(0, Assert.Single(k.Groups, g => g.Field == "utterance" && g.Value == "001").Peer!.Wer!.Value, 9);
        Assert.Equal(1, Assert.Single(k.Groups, g => g.Field == "utterance" && g.Value == "006").Peer!.Wer!.Value, 9);
    }

    [Fact]
    public async Task The_markdown_shows_missing_metrics_as_not_available_and_the_peer_beside_the_model()
    {
        var r = await RealShapedSetsFixture.EvaluateAsync([sets.Calls, sets.Read], new ScriptedPeer(_ => "operator"));
        var md = EvaluationMarkdown.Render(r);
        var emotionRow = Assert.Single(md.Split('\n'), l => l.StartsWith("| emotion accuracy", StringComparison.Ordinal));
        Assert.Contains(EvaluationMarkdown.NotAvailable, emotionRow, StringComparison.Ordinal);
        Assert.DoesNotContain("0.0 %", emotionRow, StringComparison.Ordinal);
        Assert.Contains("| model | model, no LM | scripted |", md, StringComparison.Ordinal);
        Assert.Contains(" on calls, read: utterances (8,", md, StringComparison.Ordinal);
        Assert.Contains("| utterance = 006 |", md, StringComparison.Ordinal);
        var werRow = Assert.Single(md.Split('\n'), l => l.StartsWith("| WER |", StringComparison.Ordinal));
        Assert.Contains($"{r.Peer!.Wer!.Value * 100:0.0} %", werRow, StringComparison.Ordinal);
    }
}
