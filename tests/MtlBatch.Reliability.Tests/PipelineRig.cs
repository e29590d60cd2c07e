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
using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// One isolated pipeline on the shared Azurite (unique name prefix), with the real decoder, the real model behind a
/// counting decorator, and the same registration the Functions app and `mtlbatch worker` use.
/// </summary>
public sealed class PipelineRig : IAsyncDisposable
{
    /// <summary>The process-wide real analyzer (one ONNX session shared by every rig).</summary>
    public static ISpeechAnalyzerSource RealModel => TestModel.Analyzers;

    private readonly ServiceProvider _provider;

    private PipelineRig(ServiceProvider provider, string prefix, string work, CountingAnalyzerSource counting)
    {
        _provider = provider;
        Prefix = prefix;
        WorkFolder = work;
        Analyzer = counting;
    }

    public string Prefix { get; }
    /// <summary>Pipeline:WorkDirectory, AudioDecoder:TempFolder and Archives:TempFolder all point here.</summary>
    public string WorkFolder { get; }
    public CountingAnalyzerSource Analyzer { get; }
    public PipelineStorage Storage => _provider.GetRequiredService<PipelineStorage>();
    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public static async Task<PipelineRig> CreateAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null,
        ISpeechAnalyzerSource? inner = null, Action<ILoggingBuilder>? logging = null, TimeSpan? analyzerDelay = null, RequestRecorder? recorder = null)
    {
        Azurite.EnsureRunning();
        var prefix = "r" + Guid.NewGuid().ToString("N")[..12];
        var work = RepoPaths.NewTempFolder("mtlbatch-reliability-work");
        var config = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            ["Analysis:ModelPath"] = RepoPaths.Model,
            ["Analysis:Device"] = "Cpu",
            ["Analysis:IntraOpThreads"] = "1",
            ["Analysis:BeamWidth"] = "1",
            ["Pipeline:WorkDirectory"] = work,
            ["AudioDecoder:TempFolder"] = work,
            ["Archives:TempFolder"] = work,
            ["Worker:PollInterval"] = "00:00:00.100",
            ["Worker:RetryDelay"] = "00:00:00.100",
            ["Resilience:StorageBaseDelay"] = "00:00:00.020",
            ["Resilience:StorageMaxDelay"] = "00:00:00.300",
            ["Resilience:EventsBaseDelay"] = "00:00:00.050",
        };
        if (settings is not null)
            foreach (var (k, v) in settings) config[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();

        var collection = new ServiceCollection();
        collection.AddLogging(b =>
        {
            b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            logging?.Invoke(b);
        });
        var counting = new CountingAnalyzerSource(inner ?? RealModel, analyzerDelay);
        collection.AddSingleton<ISpeechAnalyzerSource>(counting);
        if (recorder is not null)
        {
            // Same account and names, with a policy that records every HTTP request the pipeline makes (still real Azurite).
            var connection = config["Storage:ConnectionString"]!;
            var blobOptions = new Azure.Storage.Blobs.BlobClientOptions();
            blobOptions.AddPolicy(recorder, Azure.Core.HttpPipelinePosition.PerCall);
            var queueOptions = new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.None };
            queueOptions.AddPolicy(recorder, Azure.Core.HttpPipelinePosition.PerCall);
            collection.AddSingleton(new PipelineStorage(new Azure.Storage.Blobs.BlobServiceClient(connection, blobOptions),
                new Azure.Storage.Queues.QueueServiceClient(connection, queueOptions), new TableServiceClient(connection), prefix));
        }
        services?.Invoke(collection);
        collection.AddMtlBatchPipeline(configuration);
        var provider = collection.BuildServiceProvider();
        var rig = new PipelineRig(provider, prefix, work, counting);
        await rig.Storage.EnsureCreatedAsync(CancellationToken.None);
        return rig;
    }

    public async Task UploadAsync(string name, string localFile) =>
        await Storage.Recordings.GetBlobClient(name).UploadAsync(localFile, overwrite: true);

    /// <summary>Runs the local worker until nothing is left to do (bounded so a bug cannot hang the suite).</summary>
    public async Task<WorkerReport> RunWorkerOnceAsync(TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(3));
        var report = await Get<PipelineWorker>().RunAsync(once: true, cts.Token);
        Assert.False(cts.IsCancellationRequested, "the worker did not finish within its time limit");
        return report;
    }

    /// <summary>Every blob in the results container with its metadata.</summary>
    public async Task<Dictionary<string, BlobItem>> ListResultsAsync()
    {
        var all = new Dictionary<string, BlobItem>(StringComparer.Ordinal);
        await foreach (var b in Storage.Results.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }))
            all[b.Name] = b;
        return all;
    }

    public async Task<List<string>> ListAsync(Azure.Storage.Blobs.BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var b in container.GetBlobsAsync()) names.Add(b.Name);
        return names;
    }

    public async Task<string> ReadResultAsync(string blobName) =>
        (await Storage.Results.GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToString();

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

    public async ValueTask DisposeAsync()
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
        await _provider.DisposeAsync();
        try { Directory.Delete(WorkFolder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// A decorator around the REAL analyzer that counts calls per recording and the highest number of analyses running at
/// once; an optional delay per call (fault injection for the timeout test) runs before the real analysis.
/// </summary>
public sealed class RequestRecorder : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
{
    public ConcurrentQueue<string> Requests { get; } = new();

    public override void OnSendingRequest(Azure.Core.HttpMessage message)
    {
        Requests.Enqueue(message.Request.Method + " " + Uri.UnescapeDataString(message.Request.Uri.Path));
    }
}
