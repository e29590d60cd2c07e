using System.Collections.Concurrent;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Testing;

/// <summary>
/// One isolated pipeline on the shared Azurite — its own container, queue and table names (a unique prefix) — with the
/// real decoder, the real model (behind a counting decorator unless told otherwise) and the same registration the Functions
/// app and `mtlbatch worker` use. The one harness of the pipeline and reliability suites.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private PipelineHarness(ServiceProvider provider, string prefix, string work, CountingAnalyzerSource? counting)
    {
        _provider = provider;
        Prefix = prefix;
        WorkFolder = work;
        Counting = counting;
    }

    public string Prefix { get; }
    /// <summary>Pipeline:WorkDirectory, AudioDecoder:TempFolder and Archives:TempFolder all point here (unless a setting overrides them).</summary>
    public string WorkFolder { get; }
    public IServiceProvider Services => _provider;
    public PipelineStorage Storage => _provider.GetRequiredService<PipelineStorage>();
    /// <summary>The counting decorator around the analyzer (null with <c>countAnalyses: false</c>).</summary>
    public CountingAnalyzerSource? Counting { get; }
    public IReadOnlyList<string> AnalyzedRecordings => Counting?.Calls.ToList() ?? [];

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <param name="settings">Extra configuration (e.g. Pipeline:ModelVersion); wins over the harness defaults.</param>
    /// <param name="configureServices">Registrations made before AddMtlBatchPipeline (they win).</param>
    /// <param name="prefix">Reuse another harness's storage (e.g. to simulate a redeployment with a new model version).</param>
    /// <param name="analyzer">The analyzer source (default: the real model, one session per test process).</param>
    /// <param name="countAnalyses">Put <paramref name="analyzer"/> behind a <see cref="CountingAnalyzerSource"/> (exactly-once checks).</param>
    /// <param name="analyzerDelay">A delay before each counted analysis (windows for kill and timeout tests).</param>
    /// <param name="logging">More logging configuration (e.g. a capturing provider).</param>
    /// <param name="recorder">Records every storage HTTP request the pipeline makes (still against the real Azurite).</param>
    public static async Task<PipelineHarness> CreateAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null,
        string? prefix = null, ISpeechAnalyzerSource? analyzer = null, bool countAnalyses = true, TimeSpan? analyzerDelay = null,
        Action<ILoggingBuilder>? logging = null, RequestRecorder? recorder = null)
    {
        Azurite.EnsureRunning();
        prefix ??= "t" + Guid.NewGuid().ToString("N")[..12];
        var work = RepoPaths.NewTempFolder("mtlbatch-pipeline-work");
        var config = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            ["Analysis:ModelPath"] = RepoPaths.Model,
            ["Analysis:Device"] = "Cpu",
            ["Analysis:IntraOpThreads"] = "1",
            ["Pipeline:WorkDirectory"] = work,
            ["Worker:PollInterval"] = "00:00:00.100",
            ["Worker:RetryDelay"] = "00:00:00.100",
            ["Resilience:StorageBaseDelay"] = "00:00:00.020",
            ["Resilience:StorageMaxDelay"] = "00:00:00.300",
            ["Resilience:EventsBaseDelay"] = "00:00:00.050",
            ["AudioDecoder:TempFolder"] = work,
            ["Archives:TempFolder"] = work,
        };
        if (settings is not null)
            foreach (var (k, v) in settings) config[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();

        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            logging?.Invoke(b);
        });
        var source = analyzer ?? TestModel.Analyzers;
        var counting = countAnalyses ? new CountingAnalyzerSource(source, analyzerDelay) : null;
        services.AddSingleton<ISpeechAnalyzerSource>(counting ?? source);
        if (recorder is not null)
        {
            // Same account and names, with a policy that records every HTTP request the pipeline makes.
            var connection = config["Storage:ConnectionString"]!;
            var blobOptions = new BlobClientOptions();
            blobOptions.AddPolicy(recorder, Azure.Core.HttpPipelinePosition.PerCall);
            var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
            queueOptions.AddPolicy(recorder, Azure.Core.HttpPipelinePosition.PerCall);
            services.AddSingleton(new PipelineStorage(new BlobServiceClient(connection, blobOptions), new QueueServiceClient(connection, queueOptions),
                new TableServiceClient(connection), prefix));
        }
        configureServices?.Invoke(services);
        services.AddMtlBatchPipeline(configuration);
        var provider = services.BuildServiceProvider();
        var harness = new PipelineHarness(provider, prefix, work, counting);
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        return harness;
    }

    public async Task UploadAsync(string name, string localFile) =>
        await Storage.Recordings.GetBlobClient(name).UploadAsync(localFile, overwrite: true);

    public async Task UploadAsync(string name, byte[] content) =>
        await Storage.Recordings.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(content), overwrite: true);

    /// <summary>Runs the local worker until there is nothing left to do (bounded so a bug cannot hang the suite).</summary>
    public async Task<WorkerReport> RunWorkerOnceAsync(TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(3));
        var report = await Get<PipelineWorker>().RunAsync(once: true, cts.Token);
        Assert.False(cts.IsCancellationRequested, "the worker did not finish within its time limit");
        return report;
    }

    /// <summary>Every blob in the results container with its properties and metadata.</summary>
    public async Task<Dictionary<string, BlobItem>> ListResultsAsync()
    {
        var all = new Dictionary<string, BlobItem>(StringComparer.Ordinal);
        await foreach (var b in Storage.Results.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }))
            all[b.Name] = b;
        return all;
    }

    public static async Task<List<string>> ListAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var b in container.GetBlobsAsync()) names.Add(b.Name);
        return names;
    }

    public async Task<string> ReadResultTextAsync(string blobName) =>
        (await Storage.Results.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToString();

    /// <summary>Receives and deletes every message of results-events.</summary>
    public async Task<List<CompletionEvent>> DrainEventsAsync()
    {
        var events = new List<CompletionEvent>();
        while (true)
        {
            var batch = (await Storage.EventsQueue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(60))).Value;
            if (batch.Length == 0) return events;
            foreach (var m in batch)
            {
                events.Add(MtlJson.Deserialize<CompletionEvent>(m.MessageText));
                await Storage.EventsQueue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
        }
    }

    public async Task<List<JobEntity>> JobRowsAsync()
    {
        var rows = new List<JobEntity>();
        await foreach (var e in Storage.Jobs.QueryAsync<JobEntity>(x => x.RowKey == JobEntity.Row)) rows.Add(e);
        return rows;
    }

    public async Task<List<UploadEntity>> UploadRowsAsync()
    {
        var rows = new List<UploadEntity>();
        await foreach (var e in Storage.Jobs.QueryAsync<UploadEntity>(x => x.RowKey == UploadEntity.Row)) rows.Add(e);
        return rows;
    }

    /// <summary>Leave the storage in place on dispose (another harness continues with it).</summary>
    public bool KeepStorage { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (!KeepStorage)
        {
            try
            {
                foreach (var c in new[] { Storage.Recordings, Storage.Results, Storage.Decoded }) await c.DeleteIfExistsAsync();
                foreach (var q in Storage.Queues) await q.DeleteIfExistsAsync();
                foreach (var t in new[] { Storage.Jobs, Storage.State }) await t.DeleteAsync();
            }
            catch (Azure.RequestFailedException)
            {
                // Best effort: a leftover stays under this run's unique prefix (scripts/azurite.sh reset wipes Azurite's data).
            }
        }
        await _provider.DisposeAsync();
        try { Directory.Delete(WorkFolder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Records the method and path of every storage HTTP request (e.g. to show that a refused upload is never downloaded).</summary>
public sealed class RequestRecorder : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
{
    public ConcurrentQueue<string> Requests { get; } = new();

    public override void OnSendingRequest(Azure.Core.HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Requests.Enqueue(message.Request.Method + " " + Uri.UnescapeDataString(message.Request.Uri.Path));
    }
}
