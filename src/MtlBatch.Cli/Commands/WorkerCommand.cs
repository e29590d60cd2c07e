using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch worker --storage &lt;connection string&gt;</c>: the whole Azure pipeline on one machine (e.g. against Azurite),
/// hosting the same handlers as the Functions app. Ctrl+C stops it gracefully (a running job is handed back to the queue).
/// </summary>
public sealed class WorkerCommand : ICliCommand
{
    public Command Build()
    {
        var storage = new Option<string?>("--storage") { Description = "Storage connection string, e.g. UseDevelopmentStorage=true (default: Storage__ConnectionString or AzureWebJobsStorage from the environment)." };
        var once = new Option<bool>("--once") { Description = "Exit when there is nothing left to do instead of polling forever." };
        var poll = new Option<TimeSpan?>("--poll-interval") { Description = "Pause between polls when idle (default 00:00:02)." };
        var model = new Option<string?>("--model") { Description = "ONNX model (default: models/mtl-small.onnx)." };
        var modelVersion = new Option<string?>("--model-version") { Description = "Override the model version that names jobs (forces re-runs when changed)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Jobs run in parallel (default 1: one model session, one job at a time)." };
        var prefix = new Option<string?>("--name-prefix") { Description = "Prefix for container, queue and table names (isolates runs that share one account)." };

        var command = new Command("worker", "Run the storage pipeline locally: poll recordings for uploads, run inference jobs, handle poison messages.");
        foreach (var o in new Option[] { storage, once, poll, model, modelVersion, concurrency, prefix }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            if (parse.GetValue(storage) is { } cs) settings["Storage:ConnectionString"] = cs;
            if (parse.GetValue(poll) is { } p) settings["Worker:PollInterval"] = p.ToString("c");
            if (parse.GetValue(model) is { } m) settings["Analysis:ModelPath"] = m;
            if (parse.GetValue(modelVersion) is { } v) settings["Pipeline:ModelVersion"] = v;
            if (parse.GetValue(concurrency) is { } c) settings["Worker:MaxConcurrentJobs"] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(prefix) is { } n) settings["Storage:NamePrefix"] = n;

            // Ctrl+C / SIGTERM (docker stop, systemd) stop the worker gracefully: the running job's message is handed
            // back to the queue at once and the process exits with the run's code (0 unless something failed). Handled here so
            // it works without a terminal too.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var logging = CliLogging.Create();
            await using var services = BuildServices(settings, logging);
            WorkerReport report;
            try
            {
                // Every setting is checked before anything is resolved, so one message lists every problem.
                PipelineOptionsValidation.ValidateAll(services);
                report = await services.GetRequiredService<PipelineWorker>().RunAsync(parse.GetValue(once), stop.Token).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync("mtlbatch worker: invalid configuration:" + Environment.NewLine + PipelineOptionsValidation.Describe(ex)).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            catch (WorkerStartupException ex)
            {
                await Console.Error.WriteLineAsync("mtlbatch worker: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            Console.WriteLine(report.ToString());
            // Like analyze: non-zero when anything this run handled failed (its error.json, ledger row and event say why).
            if (report.Failures == 0) return ExitCodes.Success;
            await Console.Error.WriteLineAsync($"mtlbatch worker: {report.Failures} failure(s) in this run (see error.json under results/ and the ledger)").ConfigureAwait(false);
            return ExitCodes.Failures;
        });
        return command;
    }

    /// <summary>Environment variables (Storage__ConnectionString, Pipeline__ModelVersion, ...) overridden by the command-line flags.</summary>
    internal static ServiceProvider BuildServices(IDictionary<string, string?> settings, ILoggerFactory logging)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(logging);
        services.AddMtlBatchPipeline(configuration);
        return services.BuildServiceProvider();
    }
}
