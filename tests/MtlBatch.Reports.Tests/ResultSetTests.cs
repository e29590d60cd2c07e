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
    [Fact]
    public async Task Sink_protocol_withdraws_the_old_commit_first_writes_extra_files_before_result_json_and_commits_last()
    {
        using var dir = new TempDir();
        await ResultSetWriter.WriteToDirectoryAsync(GeneratedResults.ThreeSpeakerCall(), dir.Path, CancellationToken.None);
        var sink = new ScriptedSink(new FolderResultSink(dir.Path));
        var extra = new ResultSetFile(ResultSchema.Files.RedactedAudio, (s, ct) => s.WriteAsync(new byte[] { 1, 2, 3 }, ct).AsTask());

        var names = await ResultSetWriter.WriteAsync(GeneratedResults.ThreeSpeakerCall(), sink, [extra], CancellationToken.None);

        string[] documents = [.. ResultSetRenderer.FileNames.Where(f => f != ResultSchema.Files.Result)];
        Assert.Equal(["begin", .. documents.Select(d => "write " + d), "write " + ResultSchema.Files.RedactedAudio, "commit"], sink.Calls);
        Assert.Equal([.. documents, ResultSchema.Files.RedactedAudio, ResultSchema.Files.Result], names);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(Path.Combine(dir.Path, ResultSchema.Files.RedactedAudio)));
        // At "begin" the previous result.json was already gone: the old commit never vouches for a half-replaced set.
        Assert.False(sink.ResultExistedAfterBegin);
        Assert.True(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.Result)));
    }

    [Fact]
    public async Task An_interrupted_write_leaves_no_result_json_and_a_set_without_redacted_audio_drops_the_earlier_one()
    {
        using var dir = new TempDir();
        var extra = new ResultSetFile(ResultSchema.Files.RedactedAudio, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask());
        await ResultSetWriter.WriteAsync(GeneratedResults.ThreeSpeakerCall(), new FolderResultSink(dir.Path), [extra], CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.RedactedAudio)));

        var failing = new ScriptedSink(new FolderResultSink(dir.Path)) { FailAt = ResultSchema.Files.Emotions };
        await Assert.ThrowsAsync<IOException>(() => ResultSetWriter.WriteAsync(GeneratedResults.ThreeSpeakerCall(), failing, null, CancellationToken.None));

        Assert.False(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.Result)));
        Assert.False(File.Exists(Path.Combine(dir.Path, ResultSchema.Files.RedactedAudio)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public async Task Folder_sink_writes_error_json_and_a_later_commit_removes_it()
    {
        using var dir = new TempDir();
        var sink = new FolderResultSink(Path.Combine(dir.Path, "call"));
        await sink.WriteErrorAsync(GeneratedResults.Error(), CancellationToken.None);
        var error = MtlJson.Deserialize<ErrorRecord>(await File.ReadAllTextAsync(Path.Combine(sink.Directory, ResultSchema.Files.Error)));
        Assert.Equal(GeneratedResults.Error().Code, error.Code);
        await Assert.ThrowsAsync<ArgumentException>(() => sink.WriteFileAsync(ResultSchema.Files.Result, (_, _) => Task.CompletedTask, CancellationToken.None));

        await ResultSetWriter.WriteAsync(GeneratedResults.ThreeSpeakerCall(), sink, null, CancellationToken.None);
        Assert.False(File.Exists(Path.Combine(sink.Directory, ResultSchema.Files.Error)));
    }

    /// <summary>Passes through to a real sink, recording the calls; can fail one file's write.</summary>
    private sealed class ScriptedSink(FolderResultSink inner) : IResultSetSink
    {
        public List<string> Calls { get; } = [];
        public string? FailAt { get; init; }
        public bool ResultExistedAfterBegin { get; private set; }
        public string Location => inner.Location;

        public async Task BeginAsync(IReadOnlyCollection<string> fileNames, CancellationToken cancellationToken)
        {
            Calls.Add("begin");
            await inner.BeginAsync(fileNames, cancellationToken);
            ResultExistedAfterBegin = File.Exists(Path.Combine(inner.Directory, ResultSchema.Files.Result));
        }

        public Task WriteFileAsync(string fileName, FileContent content, CancellationToken cancellationToken)
        {
            Calls.Add("write " + fileName);
            return fileName == FailAt ? throw new IOException("disk full") : inner.WriteFileAsync(fileName, content, cancellationToken);
        }

        public Task CommitAsync(FileContent result, CancellationToken cancellationToken)
        {
            Calls.Add("commit");
            return inner.CommitAsync(result, cancellationToken);
        }

        public Task WriteErrorAsync(ErrorRecord error, CancellationToken cancellationToken) => inner.WriteErrorAsync(error, cancellationToken);
    }
}
