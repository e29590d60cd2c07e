using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch reprocess [--prefix P] [--since T] [--force]</c>: the pass behind <c>POST /api/reprocess</c>
/// (<see cref="PipelineApi.RunReprocessAsync"/>): stale uploads (another model version, missing results, changed) —
/// or, with <c>--force</c>, every upload in scope — go through intake again, which enqueues their inference jobs.
/// </summary>
public sealed class ReprocessCommand : ICliCommand
{
    public Command Build()
    {
        var prefix = new Option<string?>("--prefix") { Description = "Only uploads whose blob name starts with this (e.g. calls/2026/)." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only uploads modified at or after this time (e.g. 2026-01-01T00:00:00Z)." };
        var force = new Option<bool>("--force") { Description = "Re-run every upload in scope, even those with current results (new events with new ids)." };
        var storage = PipelineCommandSupport.StorageOption();
        var namePrefix = PipelineCommandSupport.NamePrefixOption();
        var model = PipelineCommandSupport.ModelOption();
        var modelVersion = PipelineCommandSupport.ModelVersionOption("The model version to reprocess for, when the worker runs with --model-version (default: the model's own).");

        var command = new Command("reprocess", "Enqueue reprocessing like POST /api/reprocess and print its report (JSON); exit 1 when a re-run recording was rejected.");
        foreach (var o in new Option[] { prefix, since, force, storage, namePrefix, model, modelVersion }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var request = new ReprocessRequest { Prefix = parse.GetValue(prefix), Since = parse.GetValue(since), Force = parse.GetValue(force) };
            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix, model, modelVersion);
            return await PipelineCommandSupport.RunAsync("reprocess", parse, settings, async (services, _) =>
            {
                await services.GetRequiredService<PipelineStorage>().EnsureCreatedAsync(ct).ConfigureAwait(false);
                var report = await services.GetRequiredService<PipelineApi>().RunReprocessAsync(request, ct).ConfigureAwait(false);
                await output.WriteLineAsync(MtlJson.Serialize(report)).ConfigureAwait(false);
                if (!report.Completed)
                    await error.WriteLineAsync($"mtlbatch reprocess: stopped early ({report.StoppedBecause}); the worker's scheduled reprocessing continues the scope").ConfigureAwait(false);
                if (report.RecordingsRejected == 0) return ExitCodes.Success;
                await error.WriteLineAsync($"mtlbatch reprocess: {report.RecordingsRejected} recording(s) rejected (see error.json under results/ and mtlbatch status)").ConfigureAwait(false);
                return ExitCodes.Failures;
            }).ConfigureAwait(false);
        });
        return command;
    }
}
