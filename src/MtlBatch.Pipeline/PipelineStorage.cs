using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// The containers, queues and tables of one pipeline (names from <see cref="StorageNames"/>, optionally prefixed).
/// Queue messages are plain UTF-8 JSON (host.json sets <c>messageEncoding: none</c> to match).
/// </summary>
public sealed class PipelineStorage
{
    public PipelineStorage(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables, string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(tables);
        if (namePrefix.Any(c => !char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c)) || (namePrefix.Length > 0 && !char.IsAsciiLetterLower(namePrefix[0])))
            throw new ArgumentException("The name prefix must be lowercase letters and digits, starting with a letter (table names allow nothing else).", nameof(namePrefix));
        NamePrefix = namePrefix;
        BlobService = blobs;
        Recordings = blobs.GetBlobContainerClient(namePrefix + StorageNames.RecordingsContainer);
        Results = blobs.GetBlobContainerClient(namePrefix + StorageNames.ResultsContainer);
        Decoded = blobs.GetBlobContainerClient(namePrefix + StorageNames.DecodedContainer);
        InferenceQueue = queues.GetQueueClient(namePrefix + StorageNames.InferenceQueue);
        PoisonQueue = queues.GetQueueClient(namePrefix + StorageNames.InferencePoisonQueue);
        EventsQueue = queues.GetQueueClient(namePrefix + StorageNames.ResultsEventsQueue);
        IntakeQueue = queues.GetQueueClient(namePrefix + StorageNames.IntakeQueue);
        ReprocessQueue = queues.GetQueueClient(namePrefix + StorageNames.ReprocessQueue);
        IntakePoisonQueue = queues.GetQueueClient(namePrefix + StorageNames.IntakePoisonQueue);
        ReprocessPoisonQueue = queues.GetQueueClient(namePrefix + StorageNames.ReprocessPoisonQueue);
        BlobTriggerPoisonQueue = queues.GetQueueClient(namePrefix + StorageNames.BlobTriggerPoisonQueue);
        Jobs = tables.GetTableClient(namePrefix + StorageNames.JobsTable);
        State = tables.GetTableClient(namePrefix + StorageNames.StateTable);
    }

    public string NamePrefix { get; }
    public BlobServiceClient BlobService { get; }
    public BlobContainerClient Recordings { get; }
    public BlobContainerClient Results { get; }
    public BlobContainerClient Decoded { get; }
    public QueueClient InferenceQueue { get; }
    public QueueClient PoisonQueue { get; }
    public QueueClient EventsQueue { get; }
    public QueueClient IntakeQueue { get; }
    public QueueClient ReprocessQueue { get; }
    public QueueClient IntakePoisonQueue { get; }
    public QueueClient ReprocessPoisonQueue { get; }
    public QueueClient BlobTriggerPoisonQueue { get; }
    public TableClient Jobs { get; }
    public TableClient State { get; }

    /// <summary>Every queue of the pipeline (to create them, or to delete a test's or a benchmark's).</summary>
    public IReadOnlyList<QueueClient> Queues => [InferenceQueue, PoisonQueue, EventsQueue, IntakeQueue, ReprocessQueue, IntakePoisonQueue, ReprocessPoisonQueue, BlobTriggerPoisonQueue];

    /// <summary>Creates whatever is missing (infra/main.bicep creates them in Azure; Azurite starts empty).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var c in new[] { Recordings, Results, Decoded })
            await c.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var q in Queues)
            await q.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var t in new[] { Jobs, State })
            await t.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Builds the clients from <see cref="StorageOptions"/>, falling back to the host's <c>AzureWebJobsStorage</c>
    /// (connection string or identity-based <c>AzureWebJobsStorage__accountName</c> / <c>__*ServiceUri</c>).
    /// </summary>
    public static PipelineStorage Create(StorageOptions options, IConfiguration? configuration = null, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = options.ConnectionString;
        var account = options.AccountName;
        Uri? blobUri = options.BlobServiceUri, queueUri = options.QueueServiceUri, tableUri = options.TableServiceUri;

        if (string.IsNullOrWhiteSpace(connectionString) && account is null && blobUri is null && configuration is not null)
        {
            var host = configuration.GetSection(StorageOptions.HostStorageSetting);
            connectionString = host.Value;
            account = host["accountName"];
            blobUri = AsUri(host["blobServiceUri"]);
            queueUri = AsUri(host["queueServiceUri"]);
            tableUri = AsUri(host["tableServiceUri"]);
        }

        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var blobOptions = new BlobClientOptions();
            var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
            return new PipelineStorage(new BlobServiceClient(connectionString, blobOptions), new QueueServiceClient(connectionString, queueOptions),
                new TableServiceClient(connectionString), options.NamePrefix);
        }

        if (account is not null)
        {
            blobUri ??= new Uri($"https://{account}.blob.core.windows.net");
            queueUri ??= new Uri($"https://{account}.queue.core.windows.net");
            tableUri ??= new Uri($"https://{account}.table.core.windows.net");
        }
        if (blobUri is null || queueUri is null || tableUri is null)
            throw new StorageNotConfiguredException(
                $"No storage configured: set {StorageOptions.SectionName}:ConnectionString, {StorageOptions.SectionName}:AccountName or {StorageOptions.HostStorageSetting}(__accountName).");

        credential ??= new DefaultAzureCredential();
        return new PipelineStorage(new BlobServiceClient(blobUri, credential),
            new QueueServiceClient(queueUri, credential, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }),
            new TableServiceClient(tableUri, credential), options.NamePrefix);
    }

    private static Uri? AsUri(string? value) => string.IsNullOrWhiteSpace(value) ? null : new Uri(value);
}

/// <summary>Neither <c>Storage:*</c> nor <c>AzureWebJobsStorage</c> names a storage account.</summary>
public sealed class StorageNotConfiguredException(string message) : InvalidOperationException(message);
