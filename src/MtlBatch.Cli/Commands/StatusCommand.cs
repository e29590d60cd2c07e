using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch status [JOB_ID|RECORDING…|--all] [--json]</c>: jobs from the ledger, as <c>GET /api/jobs</c> returns them (<see cref="JobQueryService"/>).</summary>
public sealed class StatusCommand : ICliCommand
{
    public Command Build()
    {
        var ids = new Argument<string[]>("jobs") { Description = "Job ids (as submit prints them) or recording paths (the latest job of each).", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Every job in the ledger." };
        var json = new Option<bool>("--json") { Description = "A JSON array of the ledger rows (the GET /api/jobs shape) instead of a table." };
        var storage = PipelineCommandSupport.StorageOption();
        var namePrefix = PipelineCommandSupport.NamePrefixOption();

        var command = new Command("status", "Show jobs from the ledger (exit 1 when a job is unknown or Failed).");
        command.Arguments.Add(ids);
        foreach (var o in new Option[] { all, json, storage, namePrefix }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var wanted = parse.GetValue(ids) ?? [];
            if (wanted.Length == 0 != parse.GetValue(all))
            {
                await error.WriteLineAsync("mtlbatch status: give job ids or recordings, or --all (not both)").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix);
            return await PipelineCommandSupport.RunAsync("status", parse, settings, async (services, _) =>
            {
                var jobs = services.GetRequiredService<JobQueryService>();
                var found = new List<JobStatus>();
                var unknown = 0;
                if (wanted.Length == 0)
                {
                    await foreach (var job in jobs.ListAsync(ct).ConfigureAwait(false)) found.Add(job);
                }
                foreach (var id in wanted)
                {
                    var job = LooksLikeJobId(id)
                        ? await jobs.GetByJobIdAsync(id, ct).ConfigureAwait(false)
                        : await jobs.GetByRecordingAsync(id, ct).ConfigureAwait(false);
                    if (job is null)
                    {
                        unknown++;
                        await error.WriteLineAsync($"mtlbatch status: no job {id} in the ledger (intake may not have run yet)").ConfigureAwait(false);
                    }
                    else found.Add(job);
                }

                if (parse.GetValue(json)) await output.WriteLineAsync(MtlJson.Serialize(found)).ConfigureAwait(false);
                else foreach (var job in found) await output.WriteLineAsync(Line(job)).ConfigureAwait(false);

                var failed = found.Count(j => j.State == nameof(JobState.Failed));
                if (unknown == 0 && failed == 0) return ExitCodes.Success;
                await error.WriteLineAsync($"mtlbatch status: {failed} failed, {unknown} unknown").ConfigureAwait(false);
                return ExitCodes.Failures;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Job ids are 32 hex digits; anything else is taken for a recording path.</summary>
    internal static bool LooksLikeJobId(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigit);

    /// <summary>One job as a table line: id, state, model version, attempts, recording, error code and message when failed.</summary>
    internal static string Line(JobStatus job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var line = string.Create(CultureInfo.InvariantCulture, $"{job.JobId}  {job.State,-9}  {job.ModelVersion,-8}  attempts {job.Attempts}  {job.Recording}");
        return job.ErrorCode is null ? line : $"{line}  {job.ErrorCode}: {job.ErrorMessage}";
    }
}
