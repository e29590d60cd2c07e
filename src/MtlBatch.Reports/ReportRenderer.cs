using Microsoft.Extensions.Logging;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>What <see cref="ReportRenderer.RenderFromResultFileAsync"/> produced.</summary>
public sealed record ReportRenderOutcome(string ReportPath, IReadOnlyList<string> CaptionPaths);

/// <summary>Re-renders the report (and optionally the captions) from an existing result.json, without inference.</summary>
public sealed class ReportRenderer(ILogger<ReportRenderer> logger)
{
    /// <param name="resultPath">An existing result.json; it must match the published schema.</param>
    /// <param name="reportPath">Where to write the HTML; defaults to report.html beside the result.</param>
    /// <param name="captions">Also write transcript.vtt and transcript.srt beside the report.</param>
    public async Task<ReportRenderOutcome> RenderFromResultFileAsync(
        string resultPath, string? reportPath, bool captions, CancellationToken cancellationToken)
    {
        var json = await File.ReadAllTextAsync(resultPath, cancellationToken).ConfigureAwait(false);
        var validation = ResultValidator.Default.Validate(ResultSchema.Files.Result, json);
        if (!validation.IsValid)
            throw new InvalidDataException($"{resultPath} is not a valid MtlBatch result: {string.Join("; ", validation.Errors.Take(10))}");
        var result = MtlJson.Deserialize<AnalysisResult>(json);

        reportPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resultPath))!, ResultSchema.Files.Report);
        var directory = Path.GetDirectoryName(Path.GetFullPath(reportPath))!;
        Directory.CreateDirectory(directory);
        await ResultSetWriter.WriteAtomicallyAsync(reportPath, System.Text.Encoding.UTF8.GetBytes(ReportHtml.Render(result)), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Wrote report for {Recording} ({TurnCount} turns, {WordCount} words) to {ReportPath}",
            result.Recording.Name, result.Turns.Count, result.Transcript.Words.Count, reportPath);

        var captionPaths = new List<string>();
        if (captions)
        {
            foreach (var (name, text) in new[] { (ResultSchema.Files.Vtt, Captions.ToWebVtt(result)), (ResultSchema.Files.Srt, Captions.ToSrt(result)) })
            {
                var path = Path.Combine(directory, name);
                await ResultSetWriter.WriteAtomicallyAsync(path, System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
                captionPaths.Add(path);
            }
            logger.LogInformation("Wrote captions to {Directory}", directory);
        }
        return new ReportRenderOutcome(reportPath, captionPaths);
    }
}
