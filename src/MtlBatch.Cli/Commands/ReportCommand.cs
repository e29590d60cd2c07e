using System.CommandLine;
using Microsoft.Extensions.Logging;
using MtlBatch.Reports;

namespace MtlBatch.Cli.Commands;

/// <summary><c>mtlbatch report &lt;result.json&gt;</c>: re-render report.html (and optionally captions) without re-running inference.</summary>
public sealed class ReportCommand : ICliCommand
{
    public Command Build()
    {
        var result = new Argument<FileInfo>("result.json") { Description = "An existing result.json written by `mtlbatch analyze` or the pipeline." };
        var output = new Option<FileInfo?>("--out") { Description = "Where to write the HTML report (default: report.html beside the result)." };
        var captions = new Option<bool>("--captions") { Description = "Also write transcript.vtt and transcript.srt beside the report." };

        var command = new Command("report", "Render the self-contained HTML report (and captions) from an existing result.json.");
        command.Arguments.Add(result);
        command.Options.Add(output);
        command.Options.Add(captions);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger<ReportCommand>();
            var resultFile = parse.GetValue(result)!;
            if (!resultFile.Exists)
            {
                logger.LogError("No such result file: {ResultPath}", resultFile.FullName);
                return 2;
            }
            try
            {
                var renderer = new ReportRenderer(logging.CreateLogger<ReportRenderer>());
                var outcome = await renderer.RenderFromResultFileAsync(resultFile.FullName, parse.GetValue(output)?.FullName, parse.GetValue(captions), ct)
                    .ConfigureAwait(false);
                // stdout carries only the paths written, for scripts.
                Console.WriteLine(outcome.ReportPath);
                foreach (var path in outcome.CaptionPaths) Console.WriteLine(path);
                return 0;
            }
            catch (InvalidDataException ex)
            {
                logger.LogError("Cannot render {ResultPath}: {Reason}", resultFile.FullName, ex.Message);
                return 2;
            }
        });
        return command;
    }
}
