using System.Diagnostics;
using System.CommandLine;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch bench-pipeline --storage UseDevelopmentStorage=true --count 50</c>: throughput of the local worker on a
/// batch of short spoken recordings (espeak-ng), end to end through storage: upload -> intake/decode -> inference ->
/// results + ledger + events. Prints recordings per minute and x realtime; uses (and then deletes) its own prefixed storage.
/// </summary>
public sealed class BenchPipelineCommand : ICliCommand
{
    private static readonly string[] Sentences =
    [
        "hello there, how can i help you today", "the weather is lovely this morning", "please call me back after lunch",
        "my order arrived late and it was broken", "thank you very much for your patience", "we will send the new parts tomorrow",
        "could you spell your last name please", "i would like to cancel my subscription", "that sounds great, see you on friday",
        "the meeting has moved to room four",
    ];

    public Command Build()
    {
        var storage = new Option<string>("--storage") { Description = "Storage connection string.", DefaultValueFactory = _ => "UseDevelopmentStorage=true" };
        var count = new Option<int>("--count") { Description = "Recordings in the batch.", DefaultValueFactory = _ => 50 };
        var model = new Option<string?>("--model") { Description = "ONNX model (default: models/mtl-small.onnx)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Worker jobs in parallel.", DefaultValueFactory = _ => 1 };
        var command = new Command("bench-pipeline", "Measure the local worker's end-to-end throughput on Azurite (recordings per minute, x realtime).");
        foreach (var o in new Option[] { storage, count, model, concurrency }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
            await RunAsync(parse.GetValue(storage)!, parse.GetValue(count), parse.GetValue(model), parse.GetValue(concurrency), ct).ConfigureAwait(false));
        return command;
    }

    private static async Task<int> RunAsync(string connectionString, int count, string? model, int concurrency, CancellationToken cancellationToken)
    {
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = connectionString,
            ["Storage:NamePrefix"] = prefix,
            ["Worker:MaxConcurrentJobs"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["Worker:PollInterval"] = "00:00:00.200",
        };
        if (model is not null) settings["Analysis:ModelPath"] = model;
        await using var services = PipelineCommandSupport.BuildServices(settings, logging);
        var storage = services.GetRequiredService<PipelineStorage>();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var folder = Directory.CreateTempSubdirectory("mtlbatch-bench-pipeline-").FullName;
        try
        {
            Console.WriteLine($"Generating {count} recordings with espeak-ng ...");
            for (var i = 0; i < count; i++)
            {
                var path = Path.Combine(folder, $"rec{i:000}.wav");
                await SpeakAsync(path, Sentences[i % Sentences.Length] + (i >= Sentences.Length ? $", number {i}" : ""), i, cancellationToken).ConfigureAwait(false);
                await storage.Recordings.GetBlobClient($"bench/rec{i:000}.wav").UploadAsync(path, overwrite: true, cancellationToken).ConfigureAwait(false);
            }

            // Load the model before the clock starts: the Functions app also loads it once per instance.
            await services.GetRequiredService<ISpeechAnalyzerSource>().GetAnalyzerAsync(cancellationToken).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            var report = await services.GetRequiredService<PipelineWorker>().RunAsync(once: true, cancellationToken).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;

            double audio = 0, decode = 0, inference = 0;
            string device = "?";
            await foreach (var job in storage.Jobs.QueryAsync<JobEntity>(j => j.RowKey == JobEntity.Row, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                audio += job.DurationSeconds;
                decode += job.DecodeSeconds;
                inference += job.InferenceSeconds;
                device = job.Device ?? device;
            }
            Console.WriteLine(report.ToString());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"recordings {count}, audio {audio:F1} s, wall {seconds:F1} s, device {device}, concurrency {concurrency}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput {count / seconds * 60:F1} recordings/min, {audio / seconds:F1}x realtime end to end"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per recording: decode {decode / count:F3} s, inference {inference / count:F3} s, storage+bookkeeping {(seconds - decode - inference) / count:F3} s; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB"));
            return report.JobsSucceeded == count ? 0 : 1;
        }
        finally
        {
            foreach (var c in new[] { storage.Recordings, storage.Results, storage.Decoded }) await c.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            foreach (var q in storage.Queues) await q.DeleteIfExistsAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var t in new[] { storage.Jobs, storage.State }) await t.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task SpeakAsync(string path, string text, int index, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", index % 2 == 0 ? "en-us" : "en-us+f3", "-s", "165", "-w", path, text }) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("espeak-ng could not be started");
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"espeak-ng failed: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
    }
}
