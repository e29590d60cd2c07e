using MtlBatch.Inference;
using System.Collections.Concurrent;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtlBatch.Core;

namespace MtlBatch.Pipeline.Tests;

/// <summary>
/// One isolated pipeline on the shared Azurite: its own container/queue/table names (unique prefix), the real model
/// and the real decoder, and a counting decorator around the real analyzer.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly string _work;

    private PipelineHarness(ServiceProvider provider, string prefix, string work, CountingAnalyzerSource? counting)
    {
        _provider = provider;
        Prefix = prefix;
        _work = work;
        Counting = counting;
    }

    public string Prefix { get; }
    public IServiceProvider Services => _provider;
    public PipelineStorage Storage => _provider.GetRequiredService<PipelineStorage>();
    public CountingAnalyzerSource? Counting { get; }
    public IReadOnlyList<string> AnalyzedRecordings => Counting?.Calls.ToList() ?? [];

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <param name="settings">Extra configuration (e.g. Pipeline:ModelVersion).</param>
    /// <param name="configureServices">Registrations made before AddMtlBatchPipeline (they win).</param>
    /// <param name="prefix">Reuse another harness's storage (e.g. to simulate a redeployment with a new model version).</param>
    /// <param name="analyzer">A fault-injection analyzer source instead of the counting real one.</param>
    public static async Task<PipelineHarness> CreateAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null,
        string? prefix = null, ISpeechAnalyzerSource? analyzer = null)
    {
        Azurite.EnsureRunning();
        prefix ??= "t" + Guid.NewGuid().ToString("N")[..12];
        var work = Directory.CreateTempSubdirectory("mtlbatch-pipeline-work-").FullName;
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
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        CountingAnalyzerSource? counting = null;
        if (analyzer is not null) services.AddSingleton(analyzer);
        else
        {
            counting = new CountingAnalyzerSource(TestModel.Analyzers);
            services.AddSingleton<ISpeechAnalyzerSource>(counting);
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
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(2));
        var report = await Get<PipelineWorker>().RunAsync(once: true, cts.Token);
        Assert.False(cts.IsCancellationRequested, "the worker did not finish within its time limit");
        return report;
    }

    /// <summary>Every blob in the results container, name -> properties.</summary>
    public async Task<Dictionary<string, BlobItemProperties>> ListResultsAsync()
    {
        var all = new Dictionary<string, BlobItemProperties>(StringComparer.Ordinal);
        await foreach (var b in Storage.Results.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }))
            all[b.Name] = b.Properties;
        return all;
    }

    public async Task<string> ReadResultTextAsync(string blobName) =>
        (await Storage.Results.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToString();

    /// <summary>Drains results-events (receives and deletes), returning the events.</summary>
    public async Task<List<CompletionEvent>> DrainEventsAsync()
    {
        var events = new List<CompletionEvent>();
        while (true)
        {
            var batch = (await Storage.EventsQueue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
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
        await foreach (var e in Storage.Jobs.QueryAsync<JobEntity>(x => x.RowKey == JobEntity.Row))
            rows.Add(e);
        return rows;
    }

    /// <summary>Leave the storage in place on dispose (another harness continues with it).</summary>
    public bool KeepStorage { get; set; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (KeepStorage) throw new OperationCanceledException();
            foreach (var c in new[] { Storage.Recordings, Storage.Results, Storage.Decoded }) await c.DeleteIfExistsAsync();
            foreach (var q in Storage.Queues) await q.DeleteIfExistsAsync();
            foreach (var t in new[] { Storage.Jobs, Storage.State }) await t.DeleteAsync();
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or OperationCanceledException)
        {
            // Best effort: a leftover stays under this run's unique prefix (scripts/azurite.sh reset wipes Azurite's data).
        }
        await _provider.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A counting decorator around the REAL analyzer: records which recordings were analysed (exactly-once checks).</summary>
public sealed class ThrowingAnalyzerSource : ISpeechAnalyzerSource, ISpeechAnalyzer
{
    private int _calls;
    public int Calls => _calls;
    public string Device => "cpu";
    public ModelInfo Model { get; } = new() { Name = "throwing", Version = "fault-1", Sha256 = new string('0', 64) };

    public ValueTask<ISpeechAnalyzer> GetAnalyzerAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ISpeechAnalyzer>(this);

    public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
        IProgress<double>? progress, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        throw new InvalidOperationException("simulated model session fault (CUDA error: an illegal memory access was encountered)");
    }
}
