using System.Text.Json.Nodes;
using MtlBatch.Core;

namespace MtlBatch.Core.Tests;

public class ResultSchemaTests
{
    internal static AnalysisResult Sample() => new()
    {
        Recording = new() { Name = "call.wav", DurationSeconds = 2.5, SampleRate = 8000, Channels = 2, Sha256 = new string('a', 64) },
        Model = new() { Name = "mtl-small", Version = "1.0.0", Sha256 = new string('b', 64) },
        Processing = new() { Device = "cpu", StartedAt = DateTimeOffset.UnixEpoch, CompletedAt = DateTimeOffset.UnixEpoch.AddSeconds(1), RealtimeFactor = 2.5 },
        Transcript = new() { Text = "hello there", Words = [new() { Text = "hello", Start = 0.1, End = 0.5, Confidence = 0.9, Speaker = "S1" }] },
        Phonemes = [new() { Symbol = "h", Start = 0.1, End = 0.15 }],
        Speakers = [new() { Id = "S1", TotalSeconds = 2 }],
        Turns = [new() { Speaker = "S1", Start = 0.1, End = 2.1, Text = "hello there", Emotion = "neutral", EmotionConfidence = 0.8 }],
        Emotions = new() { Labels = ["neutral", "happy"], Timeline = [new() { Start = 0, End = 2.5, Label = "neutral", Confidence = 0.8, Scores = new Dictionary<string, double> { ["neutral"] = 0.8, ["happy"] = 0.2 }, Speaker = "S1" }] },
    };

    [Fact]
    public void Serialized_field_names_are_the_integration_contract()
    {
        var json = JsonNode.Parse(MtlJson.Serialize(Sample()))!.AsObject();
        Assert.Equal(["schemaVersion", "recording", "model", "processing", "transcript", "phonemes", "speakers", "turns", "emotions", "voiceActivity"],
            json.Select(p => p.Key).ToArray());
        Assert.Equal(["name", "durationSeconds", "sampleRate", "channels", "sha256"], json["recording"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["device", "startedAt", "completedAt", "realtimeFactor"], json["processing"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["text", "start", "end", "confidence", "speaker"], json["transcript"]!["words"]![0]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["speaker", "start", "end", "text", "emotion", "emotionConfidence"], json["turns"]![0]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(["start", "end", "label", "confidence", "scores", "speaker"], json["emotions"]!["timeline"]![0]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(2.5, json["recording"]!["durationSeconds"]!.GetValue<double>());
    }

    [Fact]
    public void Result_round_trips_through_json()
    {
        var original = Sample();
        var back = MtlJson.Deserialize<AnalysisResult>(MtlJson.Serialize(original));
        Assert.Equal(MtlJson.Serialize(original), MtlJson.Serialize(back));
    }

    [Fact]
    public void Part_documents_carry_header_and_their_part()
    {
        var t = JsonNode.Parse(MtlJson.Serialize(Sample().ToTranscriptDocument()))!.AsObject();
        Assert.Equal(["schemaVersion", "recording", "model", "transcript", "phonemes"], t.Select(p => p.Key).ToArray());
        var s = JsonNode.Parse(MtlJson.Serialize(Sample().ToSpeakersDocument()))!.AsObject();
        Assert.Equal(["schemaVersion", "recording", "model", "speakers", "turns"], s.Select(p => p.Key).ToArray());
        var e = JsonNode.Parse(MtlJson.Serialize(Sample().ToEmotionsDocument()))!.AsObject();
        Assert.Equal(["schemaVersion", "recording", "model", "emotions"], e.Select(p => p.Key).ToArray());
    }

    [Fact]
    public void Options_validation_rejects_inverted_speaker_bounds()
    {
        var o = new AnalysisOptions { MinSpeakers = 4, MaxSpeakers = 2 };
        Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
    }
}
