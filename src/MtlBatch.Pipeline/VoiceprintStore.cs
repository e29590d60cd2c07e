using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Core;
using MtlBatch.Inference.Voices;

namespace MtlBatch.Pipeline;

/// <summary>
/// Voiceprints in the pipeline. Bound from configuration section <c>Voices:Store</c> (the threshold is
/// <c>Voices:Threshold</c>, <see cref="VoiceIdentificationOptions"/>): off by default; when on, every job's speakers are
/// compared with the voices in <see cref="BlobName"/> of the results container (written by <c>mtlbatch voices enroll --storage ...</c>).
/// </summary>
public sealed class VoiceprintStoreOptions
{
    public const string SectionName = "Voices:Store";

    public bool Enabled { get; set; }

    /// <summary>The voiceprint blob in the results container (never a recording's results folder).</summary>
    public string BlobName { get; set; } = "_voiceprints/voices.json";

    /// <summary>How long a worker reuses the voices it read before it reads the blob again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Ranges of <see cref="VoiceprintStoreOptions"/> and the identification threshold.</summary>
public sealed class VoiceprintStoreOptionsValidator : IValidateOptions<VoiceprintStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, VoiceprintStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        PipelineOptionsValidation.Add(failures, !string.IsNullOrWhiteSpace(options.BlobName) && !options.BlobName.StartsWith('/'),
            $"Voices:Store:BlobName = '{options.BlobName}': must be a blob name inside the results container");
        PipelineOptionsValidation.Add(failures, options.CacheDuration >= TimeSpan.Zero, $"Voices:Store:CacheDuration = {options.CacheDuration}: must be >= 0");
        return PipelineOptionsValidation.Result(failures);
    }
}

/// <summary>The threshold's range (<see cref="VoiceIdentificationOptions.Validate"/>) as start-up validation.</summary>
public sealed class VoiceIdentificationOptionsValidator : IValidateOptions<VoiceIdentificationOptions>
{
    public ValidateOptionsResult Validate(string? name, VoiceIdentificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try { options.Validate(); }
        catch (ArgumentOutOfRangeException ex) { return ValidateOptionsResult.Fail($"Voices:Threshold = {options.Threshold}: {ex.Message.Split('\n')[0].Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal)}"); }
        return ValidateOptionsResult.Success;
    }
}

/// <summary>The voiceprint store as one JSON blob in the results container; saves are conditional on the ETag read (no lost enrolments).</summary>
public sealed class BlobVoiceprintStore(PipelineStorage storage, VoiceprintStoreOptions options, ILogger<BlobVoiceprintStore> logger) : IVoiceprintStore
{
    private ETag? _etag;

    public string Location => storage.Results.Uri + "/" + options.BlobName;

    public async Task<VoiceprintDocument> LoadAsync(CancellationToken cancellationToken)
    {
        var blob = storage.Results.GetBlobClient(options.BlobName);
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            _etag = content.Value.Details.ETag;
            return VoiceprintDocument.Parse(content.Value.Content.ToString(), Location);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            _etag = null;
            logger.LogDebug("No voiceprint blob at {Location}", Location);
            return new VoiceprintDocument();
        }
    }

    /// <summary>Writes the document if the blob is unchanged since <see cref="LoadAsync"/> (or still absent); otherwise throws 412/409.</summary>
    public async Task SaveAsync(VoiceprintDocument document, CancellationToken cancellationToken)
    {
        await storage.Results.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var blob = storage.Results.GetBlobClient(options.BlobName);
        var conditions = _etag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        var written = await blob.UploadAsync(BinaryData.FromString(MtlJson.Serialize(document)), new BlobUploadOptions
        {
            Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, cancellationToken).ConfigureAwait(false);
        _etag = written.Value.ETag;
        logger.LogInformation("Wrote {Voices} voiceprint(s) to {Location}", document.Voices.Count, Location);
    }
}

/// <summary>
/// What the inference handler uses: when <see cref="VoiceprintStoreOptions.Enabled"/>, names a result's speakers after the
/// voices in the blob (re-read at most every <see cref="VoiceprintStoreOptions.CacheDuration"/>).
/// </summary>
public sealed class PipelineVoices(PipelineStorage storage, ResiliencePipelines resilience, IOptions<VoiceprintStoreOptions> options,
    IOptions<VoiceIdentificationOptions> identification, TimeProvider time, ILoggerFactory loggerFactory)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<VoiceIdentifier> _identifier = new(() => new VoiceIdentifier(identification.Value, loggerFactory.CreateLogger<VoiceIdentifier>()));
    private VoiceprintDocument? _voices;
    private DateTimeOffset _readAt;

    public async Task<AnalysisResult> ApplyAsync(AnalysisResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!options.Value.Enabled) return result;
        var voices = await GetAsync(cancellationToken).ConfigureAwait(false);
        return voices.Voices.Count == 0 ? result : _identifier.Value.Identify(result, voices);
    }

    private async Task<VoiceprintDocument> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_voices is not null && time.GetUtcNow() - _readAt < options.Value.CacheDuration) return _voices;
            var store = new BlobVoiceprintStore(storage, options.Value, loggerFactory.CreateLogger<BlobVoiceprintStore>());
            _voices = await resilience.StorageAsync(ct => new ValueTask<VoiceprintDocument>(store.LoadAsync(ct)), cancellationToken).ConfigureAwait(false);
            _readAt = time.GetUtcNow();
            return _voices;
        }
        finally
        {
            _gate.Release();
        }
    }
}
