using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch results &lt;recording&gt; --out DIR</c>: downloads what the pipeline wrote for a recording (or a folder of them).</summary>
public sealed class ResultsCommand : ICliCommand
{
    public Command Build()
    {
        var recording = new Argument<string>("recording") { Description = "Recording path (calls/a.mp3, an archive entry calls/batch1/sub/a.wav) or a folder of them (calls/batch1)." };
        var output = new Option<string>("--out") { Description = "Local folder to write into (created); files keep their paths below the recording.", Required = true };
        var storage = PipelineCommandSupport.StorageOption();
        var namePrefix = PipelineCommandSupport.NamePrefixOption();

        var command = new Command("results", "Download a recording's results (result.json, captions, report.html) or its error.json; exit 1 when it failed, is unfinished or has none.");
        command.Arguments.Add(recording);
        foreach (var o in new Option[] { output, storage, namePrefix }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var name = parse.GetValue(recording)!;
            var target = parse.GetValue(output)!;
            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix);
            return await PipelineCommandSupport.RunAsync("results", parse, settings, async (services, _) =>
            {
                var folders = await services.GetRequiredService<ResultDownloader>().DownloadAsync(name, target, ct).ConfigureAwait(false);
                if (folders.Count == 0)
                {
                    await error.WriteLineAsync($"mtlbatch results: nothing under results/{name}/ (not processed yet, or another name: see mtlbatch status)").ConfigureAwait(false);
                    return ExitCodes.Failures;
                }
                var problems = 0;
                foreach (var folder in folders)
                {
                    foreach (var file in folder.Files) await stdout.WriteLineAsync(file).ConfigureAwait(false);
                    if (folder.HasResult) continue;
                    problems++;
                    await error.WriteLineAsync(folder.HasError
                        ? $"mtlbatch results: {folder.Recording} failed; see {Path.Combine(folder.LocalFolder, "error.json")}"
                        : $"mtlbatch results: {folder.Recording} has no result.json yet (still running, or interrupted)").ConfigureAwait(false);
                }
                return problems == 0 ? ExitCodes.Success : ExitCodes.Failures;
            }).ConfigureAwait(false);
        });
        return command;
    }
}
