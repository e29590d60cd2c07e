using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>Outcome of validating one JSON document against its MtlBatch schema.</summary>
public sealed record SchemaValidationResult(string SchemaName, bool IsValid, IReadOnlyList<string> Errors)
{
    public override string ToString() => IsValid ? $"{SchemaName}: valid" : $"{SchemaName}: {string.Join("; ", Errors)}";
}

/// <summary>
/// Validates MtlBatch JSON documents (result, transcript, speakers, emotions, error) against the JSON Schemas
/// published in docs/schema, embedded into this assembly so any project's tests can check real output.
/// </summary>
public sealed class ResultValidator
{
    /// <summary>Schema file names (as in docs/schema), keyed by the document file name they describe.</summary>
    public static IReadOnlyDictionary<string, string> SchemaFiles { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ResultSchema.Files.Result] = "result.schema.json",
        [ResultSchema.Files.Transcript] = "transcript.schema.json",
        [ResultSchema.Files.Speakers] = "speakers.schema.json",
        [ResultSchema.Files.Emotions] = "emotions.schema.json",
        [ResultSchema.Files.Error] = "error.schema.json",
    };

    private static readonly Lazy<ResultValidator> s_default = new(() => new ResultValidator(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>One shared instance; loading and registering the schemas happens once.</summary>
    public static ResultValidator Default => s_default.Value;

    private readonly Dictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);
    private readonly EvaluationOptions _options;
    // Evaluation lazily initialises schema state; serialise it rather than rely on the library being thread-safe.
    private readonly Lock _gate = new();

    public ResultValidator()
    {
        _options = new EvaluationOptions
        {
            OutputFormat = OutputFormat.List,
            RequireFormatValidation = true,
        };
        foreach (var schemaFile in SchemaFiles.Values)
        {
            var schema = JsonSchema.FromText(ReadEmbeddedSchema(schemaFile));
            // Registering by $id lets transcript/speakers/emotions/error resolve their $refs into result.schema.json.
            _options.SchemaRegistry.Register(schema);
            _schemas[schemaFile] = schema;
        }
    }

    /// <summary>Raw text of an embedded schema, e.g. <c>result.schema.json</c>.</summary>
    public static string ReadEmbeddedSchema(string schemaFile)
    {
        var resource = "MtlBatch.Reports.Schemas." + schemaFile;
        using var stream = typeof(ResultValidator).Assembly.GetManifestResourceStream(resource)
            ?? throw new ArgumentException($"No embedded schema named {schemaFile}.", nameof(schemaFile));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Validates <paramref name="json"/> as the document named <paramref name="documentFileName"/> (e.g. <c>result.json</c>).</summary>
    public SchemaValidationResult Validate(string documentFileName, string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            return new SchemaValidationResult(SchemaFor(documentFileName), false, [$"not JSON: {ex.Message}"]);
        }
        return Validate(documentFileName, node);
    }

    public SchemaValidationResult Validate(string documentFileName, JsonNode? document)
    {
        var schemaFile = SchemaFor(documentFileName);
        EvaluationResults results;
        lock (_gate)
        {
            results = _schemas[schemaFile].Evaluate(document, _options);
        }
        if (results.IsValid) return new SchemaValidationResult(schemaFile, true, []);

        var errors = new List<string>();
        foreach (var detail in results.Details.Prepend(results))
        {
            if (detail.IsValid || detail.Errors is null) continue;
            var location = detail.InstanceLocation.ToString();
            if (location.Length == 0) location = "/";
            foreach (var (keyword, message) in detail.Errors)
            {
                // A property rejected by additionalProperties:false is reported as a failed "false" schema; say what it means.
                var path = detail.EvaluationPath.ToString();
                var rule = keyword.Length > 0 ? keyword : path[(path.LastIndexOf('/') + 1)..];
                var text = rule == "additionalProperties" ? "property is not part of the schema" : message;
                errors.Add(rule.Length > 0 ? $"{location} ({rule}): {text}" : $"{location}: {text}");
            }
        }
        if (errors.Count == 0) errors.Add("invalid");
        return new SchemaValidationResult(schemaFile, false, errors);
    }

    /// <summary>Validates a file on disk; the schema is chosen by the file's name (result.json, error.json, ...).</summary>
    public async Task<SchemaValidationResult> ValidateFileAsync(string path, CancellationToken cancellationToken)
    {
        var json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Validate(Path.GetFileName(path), json);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> listing the violations when the document is invalid.</summary>
    public void EnsureValid(string documentFileName, string json)
    {
        var result = Validate(documentFileName, json);
        if (!result.IsValid) throw new InvalidDataException($"{documentFileName} does not match {result.SchemaName}: {string.Join("; ", result.Errors)}");
    }

    private static string SchemaFor(string documentFileName)
    {
        if (SchemaFiles.TryGetValue(documentFileName, out var schemaFile)) return schemaFile;
        if (SchemaFiles.Values.Contains(documentFileName, StringComparer.Ordinal)) return documentFileName;
        throw new ArgumentException(
            $"No schema for '{documentFileName}'; expected one of {string.Join(", ", SchemaFiles.Keys)}.", nameof(documentFileName));
    }
}
