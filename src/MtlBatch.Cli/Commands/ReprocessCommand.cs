using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch reprocess [--prefix P] [--since T] [--force]</c>: what <c>POST /api/reprocess</c> does
/// (<see cref="PipelineApi.RunReprocessAsync"/>): queues the first scan of a reprocess batch and prints it
/// (<c>{batchId, ...}</c>). The worker (or the Functions app) scans the listing page by page and runs intake for stale
/// uploads (another model version, missing results, changed) — or, with <c>--force</c>, every upload in scope. Nothing is
/// decoded and the model is not even read here: staleness is judged by the worker's model version.
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

        var command = new Command("reprocess", "Queue a reprocess batch like POST /api/reprocess and print it (JSON with batchId); the worker runs it.");
        foreach (var o in new Option[] { prefix, since, force, storage, namePrefix }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var request = new ReprocessRequest { Prefix = parse.GetValue(prefix), Since = parse.GetValue(since), Force = parse.GetValue(force) };
            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix);
            return await PipelineCommandSupport.RunAsync("reprocess", parse, settings, async (services, _) =>
            {
                await services.GetRequiredService<PipelineStorage>().EnsureCreatedAsync(ct).ConfigureAwait(false);
                var batch = await services.GetRequiredService<PipelineApi>().RunReprocessAsync(request, ct).ConfigureAwait(false);
                await output.WriteLineAsync(MtlJson.Serialize(batch)).ConfigureAwait(false);
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }
}
