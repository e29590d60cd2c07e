namespace MtlBatch.Pipeline;

/// <summary>
/// Where the pipeline's storage lives. Bound from configuration section <c>Storage</c>; when nothing is set here the
/// Functions host's own <c>AzureWebJobsStorage</c> setting is used, either as a connection string or identity-based
/// (<c>AzureWebJobsStorage__accountName</c>, or <c>__blobServiceUri</c>/<c>__queueServiceUri</c>/<c>__tableServiceUri</c>)
/// with <c>DefaultAzureCredential</c> (managed identity in Azure: no keys).
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>The app setting the Functions host reads for its own storage; also our fallback.</summary>
    public const string HostStorageSetting = "AzureWebJobsStorage";

    /// <summary>A connection string (e.g. <c>UseDevelopmentStorage=true</c> for Azurite). Wins over identity settings.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Storage account name for identity-based access (https://{name}.{service}.core.windows.net).</summary>
    public string? AccountName { get; set; }

    public Uri? BlobServiceUri { get; set; }
    public Uri? QueueServiceUri { get; set; }
    public Uri? TableServiceUri { get; set; }

    /// <summary>
    /// Prefix for every container, queue and table name. Empty in Azure (the function triggers use the fixed names of
    /// <see cref="MtlBatch.Core.StorageNames"/>); tests set a unique prefix so they can share one Azurite.
    /// </summary>
    public string NamePrefix { get; set; } = "";
}
