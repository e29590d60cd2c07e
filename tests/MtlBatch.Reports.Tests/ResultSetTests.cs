using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;

namespace MtlBatch.Reports.Tests;

public class ResultSetTests
{
    [Fact]
    public void Result_set_is_rendered_in_write_order_with_result_json_last()
    {
        var result = GeneratedResults.ThreeSpeakerCall();
        var files = ResultSetRenderer.Render(result);
        Assert.Equal(
            [ResultSchema.Files.Transcript, ResultSchema.Files.Speakers, ResultSchema.Files.Emotions, ResultSchema.Files.Vtt,
             ResultSchema.Files.Srt, ResultSchema.Files.Report, ResultSchema.Files.Result],
            files.Select(f => f.FileName).ToArray());
        Assert.Equal(ResultSetRenderer.FileNames, files.Select(f => f.FileName).ToArray());

        var byName = files.ToDictionary(f => f.FileName, f => f.Content);
        // UTF-8 without a byte-order mark, and each file is exactly what its producer renders.
        Assert.All(files, f => Assert.False(f.Content.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })));
        Assert.Equal(MtlJson.Serialize(result), Encoding.UTF8.GetString(byName[ResultSchema.Files.Result]));
        Assert.Equal(Captions.ToWebVtt(result), Encoding.UTF8.GetString(byName[ResultSchema.Files.Vtt]));
        Assert.Equal(ReportHtml.Render(result), Encoding.UTF8.GetString(byName[ResultSchema.Files.Report]));
        var back = MtlJson.Deserialize<AnalysisResult>(Encoding.UTF8.GetString(byName[ResultSchema.Files.Result]));
        Assert.Equal(result.Turns.Count, back.Turns.Count);
        Assert.Equal("text/vtt; charset=utf-8", ResultSetRenderer.ContentType(ResultSchema.Files.Vtt));
    }

    [Fact]
    public async Task Writer_commits_result_json_last_leaves_no_temp_files_and_clears_a_stale_error()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, ResultSchema.Files.Error), MtlJson.Serialize(GeneratedResults.Error()));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, ResultSchema.Files.Report), "old report");

        var result = GeneratedResults.ThreeSpeakerCall();
        var written = await ResultSetWriter.WriteToDirectoryAsync(result, dir.Path, CancellationToken.None, NullLogger.Instance);

        Assert.Equal(ResultSetRenderer.FileNames, written.Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Equal(ResultSetRenderer.FileNames.Order(StringComparer.Ordinal), Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, content) in ResultSetRenderer.Render(result))
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(dir.Path, name)));
        // result.json was renamed into place after every other file.
        var times = written.Select(p => File.GetLastWriteTimeUtc(p)).ToList();
        Assert.Equal(times.Max(), times[^1]);
    }

    [Fact]
    public async Task Writer_honours_cancellation()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ResultSetWriter.WriteToDirectoryAsync(GeneratedResults.ThreeSpeakerCall(), dir.Path, cts.Token));
        Assert.False(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.Result)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public async Task Report_is_re_rendered_from_an_existing_result_without_inference()
    {
        using var dir = new TempDir();
        var result = GeneratedResults.ThreeSpeakerCall();
        var resultPath = Path.Combine(dir.Path, ResultSchema.Files.Result);
        await MtlJson.WriteFileAsync(resultPath, result, CancellationToken.None);
        var renderer = new ReportRenderer(NullLogger<ReportRenderer>.Instance);

        var beside = await renderer.RenderFromResultFileAsync(resultPath, null, captions: false, CancellationToken.None);
        Assert.Equal(Path.Combine(dir.Path, ResultSchema.Files.Report), beside.ReportPath);
        Assert.Equal(ReportHtml.Render(result), await File.ReadAllTextAsync(beside.ReportPath));
        Assert.Empty(beside.CaptionPaths);

        var elsewhere = Path.Combine(dir.Path, "out", "call-report.html");
        var withCaptions = await renderer.RenderFromResultFileAsync(resultPath, elsewhere, captions: true, CancellationToken.None);
        Assert.True(File.Exists(elsewhere));
        Assert.Equal(Captions.ToSrt(result), await File.ReadAllTextAsync(Path.Combine(dir.Path, "out", ResultSchema.Files.Srt)));
        Assert.Equal(Captions.ToWebVtt(result), await File.ReadAllTextAsync(Path.Combine(dir.Path, "out", ResultSchema.Files.Vtt)));
        Assert.Equal(2, withCaptions.CaptionPaths.Count);
    }

    [Fact]
    public async Task Report_refuses_a_result_that_does_not_match_the_schema()
    {
        using var dir = new TempDir();
        var resultPath = Path.Combine(dir.Path, ResultSchema.Files.Result);
        var json = MtlJson.Serialize(GeneratedResults.ThreeSpeakerCall()).Replace("\"turns\"", "\"Turns\"", StringComparison.Ordinal);
        await File.WriteAllTextAsync(resultPath, json);
        var renderer = new ReportRenderer(NullLogger<ReportRenderer>.Instance);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => renderer.RenderFromResultFileAsync(resultPath, null, false, CancellationToken.None));
        Assert.Contains("turns", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.Report)));
    }
}
