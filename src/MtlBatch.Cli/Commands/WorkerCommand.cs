using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch worker --storage &lt;connection string&gt;</c>: the whole Azure pipeline on one machine (e.g. against Azurite),
/// hosting the same handlers as the Functions app: blob intake, inference jobs, poison messages, the scheduled
/// reprocessing (a pass at start-up, then on <c>Reprocess:Schedule</c>) and, with <c>--http-port</c>, the HTTP API on 127.0.0.1.
/// Ctrl+C stops it gracefully (a running job is handed back to the queue).
/// </summary>
public sealed class WorkerCommand : ICliCommand
{
    public Command Build()
    {
        var storage = PipelineCommandSupport.StorageOption();
        var once = new Option<bool>("--once") { Description = "Exit when there is nothing left to do instead of polling forever." };
        var poll = new Option<TimeSpan?>("--poll-interval") { Description = "Pause between polls when idle (default 00:00:02)." };
        var model = new Option<string?>("--model") { Description = "ONNX model (default: models/mtl-small.onnx)." };
        var modelVersion = PipelineCommandSupport.ModelVersionOption(
            "Model version that names jobs and labels results (default: the model's own). Results made by another version are re-run by the start-up reprocessing pass (not with --no-reprocess).");
        var concurrency = new Option<int?>("--concurrency") { Description = "Jobs run in parallel (default 1: one model session, one job at a time)." };
        var prefix = PipelineCommandSupport.NamePrefixOption();
        var httpPort = new Option<int?>("--http-port") { Description = "Serve GET /api/jobs/{id} and POST /api/reprocess on 127.0.0.1 at this port, e.g. 7071 like func start (default 0: off)." };
        var noReprocess = new Option<bool>("--no-reprocess") { Description = "Do not run the scheduled reprocessing (at start-up and on Reprocess:Schedule)." };

        var command = new Command("worker", "Run the storage pipeline locally: intake of uploads, inference jobs, poison messages, scheduled reprocessing and the HTTP API.");
        foreach (var o in new Option[] { storage, once, poll, model, modelVersion, concurrency, prefix, httpPort, noReprocess }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var settings = PipelineCommandSupport.Settings(parse, storage, prefix, model, modelVersion);
            if (parse.GetValue(poll) is { } p) settings["Worker:PollInterval"] = p.ToString("c", CultureInfo.InvariantCulture);
            if (parse.GetValue(concurrency) is { } c) settings["Worker:MaxConcurrentJobs"] = c.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(httpPort) is { } port) settings["Worker:HttpPort"] = port.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(noReprocess)) settings["Worker:RunReprocessSchedule"] = "false";
            // What the CLI's worker does unless the environment (Worker__RunReprocessSchedule) or a flag says otherwise. The HTTP
            // API stays off unless asked for (Worker__HttpPort or --http-port): several workers on one machine would fight over a port.
            var defaults = new Dictionary<string, string?> { ["Worker:RunReprocessSchedule"] = "true" };

            // Ctrl+C / SIGTERM (docker stop, systemd) stop the worker gracefully: the running job's message is handed
            // back to the queue at once and the process exits with the run's code (0 unless something failed).
            using var stop = new SignalStop(ct);

            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            return await PipelineCommandSupport.RunAsync("worker", parse, settings, async (services, logging) =>
            {
                var logger = logging.CreateLogger<WorkerCommand>();
                var port = services.GetRequiredService<IOptions<WorkerOptions>>().Value.HttpPort;
                LocalApiServer? server = null;
                if (port > 0)
                {
                    try
                    {
                        server = await LocalApiServer.StartAsync(services.GetRequiredService<PipelineApi>(), port, logger, stop.Token).ConfigureAwait(false);
                    }
                    catch (IOException ex)
                    {
                        await error.WriteLineAsync($"mtlbatch worker: cannot serve the HTTP API on 127.0.0.1:{port}: {ex.Message} (another worker? use --http-port N, or 0 for none)")
                            .ConfigureAwait(false);
                        return ExitCodes.InvalidConfiguration;
                    }
                }
                WorkerReport report;
                try
                {
                    report = await services.GetRequiredService<PipelineWorker>().RunAsync(parse.GetValue(once), stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
                }
                await output.WriteLineAsync(report.ToString()).ConfigureAwait(false);
                // Like analyze: non-zero when anything this run handled failed (its error.json, ledger row and event say why).
                if (report.Failures == 0) return ExitCodes.Success;
                await error.WriteLineAsync($"mtlbatch worker: {report.Failures} failure(s) in this run (see error.json under results/ and the ledger)").ConfigureAwait(false);
                return ExitCodes.Failures;
            }, defaults).ConfigureAwait(false);
        });
        return command;
    }
}
