using System.Text.Json.Nodes;
using Json.Schema;
using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

public class SchemaTests
{
    private static readonly ResultValidator Validator = ResultValidator.Default;

    public static TheoryData<string> Shapes() => ["call", "monologue", "rapid", "hostile"];

    private static AnalysisResult Make(string shape) => shape switch
    {
        "call" => GeneratedResults.ThreeSpeakerCall(),
        "monologue" => GeneratedResults.LongMonologue(),
        "rapid" => GeneratedResults.RapidSpeakerChanges(),
        "hostile" => GeneratedResults.Hostile(),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_json_document_of_a_generated_result_matches_its_schema(string shape)
    {
        var result = Make(shape);
        Assert.NotEmpty(result.Transcript.Words);
        var documents = new Dictionary<string, string>
        {
            [ResultSchema.Files.Result] = MtlJson.Serialize(result),
            [ResultSchema.Files.Transcript] = MtlJson.Serialize(result.ToTranscriptDocument()),
            [ResultSchema.Files.Speakers] = MtlJson.Serialize(result.ToSpeakersDocument()),
            [ResultSchema.Files.Emotions] = MtlJson.Serialize(result.ToEmotionsDocument()),
        };
        foreach (var (name, json) in documents)
        {
            var validation = Validator.Validate(name, json);
            Assert.True(validation.IsValid, validation.ToString());
        }
    }

    [Fact]
    public void Compact_serialisation_and_words_without_speaker_are_valid()
    {
        var r = GeneratedResults.ThreeSpeakerCall();
        var words = r.Transcript.Words.Select((w, i) => i % 2 == 0 ? w with { Speaker = null } : w).ToArray();
        r = r with { Transcript = r.Transcript with { Words = words }, VoiceActivity = [] };
        var validation = Validator.Validate(ResultSchema.Files.Result, MtlJson.Serialize(r, indented: false));
        Assert.True(validation.IsValid, validation.ToString());
    }

    [Theory]
    [InlineData("job-42")]
    [InlineData(null)]
    public void Error_record_matches_its_schema(string? jobId)
    {
        var validation = Validator.Validate(ResultSchema.Files.Error, MtlJson.Serialize(GeneratedResults.Error(jobId)));
        Assert.True(validation.IsValid, validation.ToString());
    }

    [Theory]
    [InlineData("/transcript/words/3", "remove:confidence")]
    [InlineData("/turns/0", "rename:emotionConfidence:emotionconfidence")]
    [InlineData("", "rename:voiceActivity:vad")]
    [InlineData("/recording", "remove:sha256")]
    [InlineData("/processing", "set:device:gpu")]
    [InlineData("/transcript/words/0", "set:start:-0.5")]
    [InlineData("/transcript/words/0", "set:confidence:1.5")]
    [InlineData("/emotions/timeline/0/scores", "set:happy:text")]
    [InlineData("/processing", "set:startedAt:yesterday")]
    [InlineData("", "set:schemaVersion:2.0")]
    [InlineData("/speakers/0", "add:colour:blue")]
    public void A_drifted_result_fails_validation(string pointer, string change)
    {
        var json = JsonNode.Parse(MtlJson.Serialize(GeneratedResults.ThreeSpeakerCall()))!;
        Assert.True(Validator.Validate(ResultSchema.Files.Result, json.DeepClone()).IsValid);

        var target = Resolve(json, pointer);
        var parts = change.Split(':', 3);
        switch (parts[0])
        {
            case "remove":
                Assert.True(target.Remove(parts[1]));
                break;
            case "rename":
                var value = target[parts[1]]!.DeepClone();
                target.Remove(parts[1]);
                target[parts[2]] = value;
                break;
            case "set" or "add":
                target[parts[1]] = double.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var d) && parts[2] != "2.0" ? JsonValue.Create(d) : JsonValue.Create(parts[2]);
                break;
        }

        var validation = Validator.Validate(ResultSchema.Files.Result, json);
        Assert.False(validation.IsValid, $"{change} at '{pointer}' should be rejected");
        Assert.NotEmpty(validation.Errors);
    }

    [Fact]
    public void Part_documents_reject_drift_through_the_shared_definitions()
    {
        var doc = JsonNode.Parse(MtlJson.Serialize(GeneratedResults.ThreeSpeakerCall().ToSpeakersDocument()))!;
        doc["turns"]![1]!.AsObject().Remove("speaker");
        var validation = Validator.Validate(ResultSchema.Files.Speakers, doc);
        Assert.False(validation.IsValid);
        Assert.Contains(validation.Errors, e => e.Contains("/turns/1", StringComparison.Ordinal));

        var error = JsonNode.Parse(MtlJson.Serialize(GeneratedResults.Error()))!;
        error["code"] = "Decode Failed";
        Assert.False(Validator.Validate(ResultSchema.Files.Error, error).IsValid);
    }

    [Fact]
    public void Errors_name_the_place_and_the_rule()
    {
        var json = JsonNode.Parse(MtlJson.Serialize(GeneratedResults.ThreeSpeakerCall()))!.AsObject();
        var turns = json["turns"]!;
        json.Remove("turns");
        json["Turns"] = turns;
        var errors = Validator.Validate(ResultSchema.Files.Result, json).Errors;
        Assert.Contains(errors, e => e.StartsWith("/ (required):", StringComparison.Ordinal) && e.Contains("turns", StringComparison.Ordinal));
        Assert.Contains("/Turns (additionalProperties): property is not part of the schema", errors);
    }

    [Fact]
    public void Invalid_json_text_is_reported_not_thrown()
    {
        var validation = Validator.Validate(ResultSchema.Files.Result, "{ not json");
        Assert.False(validation.IsValid);
        Assert.StartsWith("not JSON", validation.Errors[0], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Validator.Validate("notes.txt", "{}"));
    }

    [Fact]
    public async Task Files_are_validated_by_their_name()
    {
        using var dir = new TempDir();
        var written = await ResultSetWriter.WriteToDirectoryAsync(GeneratedResults.ThreeSpeakerCall(), dir.Path, CancellationToken.None);
        int validated = 0;
        foreach (var path in written.Where(p => p.EndsWith(".json", StringComparison.Ordinal)))
        {
            var validation = await Validator.ValidateFileAsync(path, CancellationToken.None);
            Assert.True(validation.IsValid, validation.ToString());
            validated++;
        }
        Assert.Equal(4, validated);
    }

    [Fact]
    public void Embedded_schemas_are_the_files_in_docs_schema_and_are_valid_2020_12_schemas()
    {
        var files = Directory.GetFiles(RepoPaths.SchemaDir, "*.schema.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(ResultValidator.SchemaFiles.Values.Order(StringComparer.Ordinal).ToArray(), files);
        var metaOptions = new EvaluationOptions { OutputFormat = OutputFormat.List };
        foreach (var file in files)
        {
            var text = File.ReadAllText(Path.Combine(RepoPaths.SchemaDir, file!));
            Assert.Equal(text, ResultValidator.ReadEmbeddedSchema(file!));
            var node = JsonNode.Parse(text)!;
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", node["$schema"]!.GetValue<string>());
            // The schema document itself against the 2020-12 meta-schema.
            var meta = Json.Schema.MetaSchemas.Draft202012.Evaluate(node, metaOptions);
            Assert.True(meta.IsValid, file);
        }
    }

    private static JsonObject Resolve(JsonNode root, string pointer)
    {
        var node = root;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
            node = int.TryParse(part, out var i) ? node![i]! : node![part]!;
        return node!.AsObject();
    }
}
