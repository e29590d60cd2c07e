using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Inference.Voices;

namespace MtlBatch.Inference.Tests;

/// <summary>The voiceprint store (a JSON file), model-version keying and the identifier's assignment rules, on hand-made embeddings.</summary>
public sealed class VoiceprintTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTempDir("mtlbatch-voiceprints");

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static readonly ModelInfo Current = new() { Name = "mtl-small", Version = "2.1.0", Sha256 = "a" };

    private static Voiceprint Voice(string name, string version, params float[] embedding) => new()
    {
        Name = name, ModelName = "mtl-small", ModelVersion = version, Embedding = embedding, SpeechSeconds = 7.5,
        Sources = ["a.wav"], EnrolledAt = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task File_store_round_trips_and_keys_voices_by_model_version()
    {
        var store = new VoiceprintFileStore(Path.Combine(_folder, "sub", "voices.json"));
        Assert.Empty((await store.LoadAsync(CancellationToken.None)).Voices);

        var document = new VoiceprintDocument()
            .With(Voice("Dana", "2.0.0", 1, 0, 0))
            .With(Voice("Lee", "2.0.0", 0, 1, 0))
            .With(Voice("Dana", "2.1.0", 0.6f, 0.8f, 0));
        await store.SaveAsync(document, CancellationToken.None);
        var loaded = await store.LoadAsync(CancellationToken.None);

        Assert.Equal(document.Voices.Select(v => (v.Name, v.ModelVersion, v.SpeechSeconds, v.EnrolledAt)),
            loaded.Voices.Select(v => (v.Name, v.ModelVersion, v.SpeechSeconds, v.EnrolledAt)));
        Assert.Equal([0.6f, 0.8f, 0f], loaded.Voices.Single(v => v.Name == "Dana" && v.ModelVersion == "2.1.0").Embedding);
        Assert.Equal(["Dana"], loaded.UsableWith(Current).Select(v => v.Name));
        // Lee has only an embedding of 2.0.0: it needs re-enrolment. Dana's 2.0.0 entry does not (2.1.0 exists).
        Assert.Equal(["Lee"], loaded.StaleFor(Current).Select(v => v.Name));

        // Enrolling again replaces that name's entry for that version only; names are case-insensitive.
        var again = loaded.With(Voice("dana", "2.1.0", 0, 0, 1));
        Assert.Equal(3, again.Voices.Count);
        Assert.Equal([0f, 0f, 1f], again.UsableWith(Current).Single().Embedding);
        var removed = again.Without("DANA", out var count);
        Assert.Equal(2, count);
        Assert.Equal(["Lee"], removed.Voices.Select(v => v.Name));
    }

    [Fact]
    public async Task File_store_refuses_a_file_that_is_not_a_voiceprint_file()
    {
        var path = Path.Combine(_folder, "voices.json");
        await File.WriteAllTextAsync(path, "{\"format\":\"9\",\"voices\":[]}");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new VoiceprintFileStore(path).LoadAsync(CancellationToken.None));
        Assert.Contains("format '9'", error.Message, StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, "not json");
        await Assert.ThrowsAsync<InvalidDataException>(() => new VoiceprintFileStore(path).LoadAsync(CancellationToken.None));
    }

    private static AnalysisResult Result(params (string Id, float[] Embedding)[] speakers) => new()
    {
        Recording = new RecordingInfo { Name = "call.wav", DurationSeconds = 20, SampleRate = 16000, Channels = 1, Sha256 = "" },
        Model = Current,
        Processing = new ProcessingInfo { Device = "cpu", StartedAt = default, CompletedAt = default, RealtimeFactor = 1 },
        Transcript = new Transcript { Text = "", Words = [] },
        Phonemes = [],
        Speakers = [.. speakers.Select(s => new SpeakerSummary { Id = s.Id, TotalSeconds = 5 })],
        Turns = [.. speakers.Select((s, i) => new Turn { Speaker = s.Id, Start = i * 5, End = i * 5 + 4, Text = "", Emotion = "neutral", EmotionConfidence = 0.5 })],
        Emotions = new EmotionTrack { Labels = ["neutral"], Timeline = [] },
        SpeakerEmbeddings = speakers.ToDictionary(s => s.Id, s => s.Embedding),
    };

    [Fact]
    public void A_speaker_above_the_threshold_is_named_and_each_voice_goes_to_one_speaker_at_most()
    {
        var voices = new VoiceprintDocument().With(Voice("Dana", "2.1.0", 1, 0, 0)).With(Voice("Lee", "2.1.0", 0, 1, 0));
        // S1 and S3 both resemble Dana; S3 more. S2 resembles nobody enough.
        var result = Result(("S1", [0.95f, 0.31f, 0]), ("S2", [0.2f, 0.2f, 0.959f]), ("S3", [0.99f, 0.14f, 0]));
        var named = new VoiceIdentifier(new VoiceIdentificationOptions { Threshold = 0.9 }).Identify(result, voices, out var matches);

        Assert.Equal("Dana", named.Speakers.Single(s => s.Id == "S3").SpeakerName);
        Assert.Equal(VoiceIdentifier.Cosine([0.99f, 0.14f, 0], [1, 0, 0]), named.Speakers.Single(s => s.Id == "S3").SpeakerScore!.Value, 3);
        Assert.Equal("Dana", named.Turns.Single(t => t.Speaker == "S3").SpeakerName);
        // S1 would pass the threshold for Dana, but Dana is taken; Lee is below the threshold for S1.
        Assert.Null(named.Speakers.Single(s => s.Id == "S1").SpeakerName);
        Assert.Null(named.Speakers.Single(s => s.Id == "S2").SpeakerName);
        Assert.All(named.Turns.Where(t => t.Speaker != "S3"), t => Assert.Null(t.SpeakerScore));
        Assert.Contains(matches, m => m is { Speaker: "S1", Voice: "Lee", Accepted: false });

        // The names reach the serialized contract only where present.
        var json = MtlJson.Serialize(named);
        Assert.Contains("\"speakerName\": \"Dana\"", json, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(json, "\"speakerName\"").Count);
        Assert.DoesNotContain("speakerEmbeddings", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Voiceprints_of_another_model_version_are_never_compared()
    {
        var log = new CapturingLoggerFactory();
        var voices = new VoiceprintDocument().With(Voice("Dana", "2.0.0", 1, 0, 0));
        var result = Result(("S1", [1, 0, 0]));
        var identifier = new VoiceIdentifier(new VoiceIdentificationOptions { Threshold = 0.5 }, log.CreateLogger<VoiceIdentifier>());

        var named = identifier.Identify(result, voices, out var matches);

        Assert.Empty(matches);
        Assert.Null(named.Speakers.Single().SpeakerName);
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("Dana", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2.0.0", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Threshold_outside_the_cosine_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VoiceIdentifier(new VoiceIdentificationOptions { Threshold = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VoiceEnroller(new ScriptedAnalyzerStub(), new VoiceEnrollmentOptions { MinSpeechSeconds = 0 }));
    }

    private sealed class ScriptedAnalyzerStub : ISpeechAnalyzer
    {
        public string Device => "cpu";
        public ModelInfo Model => Current;
        public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options, IProgress<double>? progress,
            CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
