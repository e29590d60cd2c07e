using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Audio;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch submit &lt;files|folders|archives&gt;</c>: uploads into the <c>recordings</c> container the pipeline watches and
/// prints one job id per recording (the ids intake computes, <see cref="SubmissionService"/>), for <c>mtlbatch status</c>.
/// </summary>
public sealed class SubmitCommand : ICliCommand
{
    public Command Build()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Files, folders (every file below them) or zip/tar archives (uploaded as they are; intake expands them).", Arity = ArgumentArity.OneOrMore };
        var prefix = new Option<string?>("--prefix") { Description = "Folder in the recordings container to upload into, e.g. calls/2026/ (default: the top)." };
        var storage = PipelineCommandSupport.StorageOption();
        var namePrefix = PipelineCommandSupport.NamePrefixOption();
        var model = PipelineCommandSupport.ModelOption();
        var modelVersion = PipelineCommandSupport.ModelVersionOption("The model version the worker names jobs with, when it runs with --model-version (default: the model's own).");

        var command = new Command("submit", "Upload recordings for the pipeline and print one job id per line (exit 1 when an upload failed).");
        command.Arguments.Add(inputs);
        foreach (var o in new Option[] { prefix, storage, namePrefix, model, modelVersion }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var folder = BlobFolder(parse.GetValue(prefix));
            var files = new List<(string File, string Blob)>();
            foreach (var input in parse.GetValue(inputs) ?? [])
            {
                var full = Path.GetFullPath(input);
                if (File.Exists(full)) files.Add((full, folder + Path.GetFileName(full)));
                else if (Directory.Exists(full)) files.AddRange(AudioInputs.Walk(full).Select(f => (f.File, folder + f.Relative)));
                else
                {
                    await error.WriteLineAsync($"mtlbatch submit: '{input}' does not exist; nothing was uploaded").ConfigureAwait(false);
                    return ExitCodes.InvalidConfiguration;
                }
            }

            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix, model, modelVersion);
            return await PipelineCommandSupport.RunAsync("submit", parse, settings, async (services, _) =>
            {
                var submissions = services.GetRequiredService<SubmissionService>();
                var failures = 0;
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (file, blob) in files)
                {
                    if (!names.Add(blob))
                    {
                        failures++;
                        await error.WriteLineAsync($"mtlbatch submit: {file} would overwrite {blob}, uploaded from another input in this run; skipped").ConfigureAwait(false);
                        continue;
                    }
                    var submitted = await submissions.SubmitAsync(file, blob, ct).ConfigureAwait(false);
                    if (!submitted.Uploaded)
                    {
                        failures++;
                        await error.WriteLineAsync($"mtlbatch submit: {file} was not uploaded: {submitted.Error}").ConfigureAwait(false);
                        continue;
                    }
                    foreach (var recording in submitted.Recordings)
                    {
                        await output.WriteLineAsync(recording.JobId).ConfigureAwait(false);
                        if (recording.ErrorCode is { } code)
                            await error.WriteLineAsync($"mtlbatch submit: {recording.Recording} will be rejected by intake ({code}); job {recording.JobId} records it").ConfigureAwait(false);
                    }
                }
                if (failures == 0) return ExitCodes.Success;
                await error.WriteLineAsync($"mtlbatch submit: {failures} of {files.Count} upload(s) failed").ConfigureAwait(false);
                return ExitCodes.Failures;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>"calls/2026" and "calls/2026/" both mean the folder calls/2026/; null or "" the container's top.</summary>
    internal static string BlobFolder(string? prefix)
    {
        var p = (prefix ?? "").Replace('\\', '/').Trim('/');
        return p.Length == 0 ? "" : p + "/";
    }
}
