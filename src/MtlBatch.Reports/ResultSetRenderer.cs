using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>
/// Renders every file of a recording's result set, in write order: the part documents, captions and report first,
/// <c>result.json</c> last (its presence is the commit point readers wait for). Used by the CLI (folders) and the
/// pipeline (blobs) so both write byte-identical sets.
/// </summary>
public static class ResultSetRenderer
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>File names in the order <see cref="Render"/> returns them.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        ResultSchema.Files.Transcript, ResultSchema.Files.Speakers, ResultSchema.Files.Emotions,
        ResultSchema.Files.Vtt, ResultSchema.Files.Srt, ResultSchema.Files.Report, ResultSchema.Files.Result,
    ];

    /// <summary>
    /// Renders lazily, one file per step, so a writer that consumes them one at a time holds only one file in memory
    /// (a 10-hour recording's result.json is tens of MB). Enumerating twice renders twice.
    /// </summary>
    public static IEnumerable<(string FileName, byte[] Content)> Render(AnalysisResult result, CaptionOptions? captions = null, ReportOptions? report = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return RenderLazily(result, captions, report);
    }

    private static IEnumerable<(string FileName, byte[] Content)> RenderLazily(AnalysisResult result, CaptionOptions? captions, ReportOptions? report)
    {
        yield return (ResultSchema.Files.Transcript, Json(result.ToTranscriptDocument()));
        yield return (ResultSchema.Files.Speakers, Json(result.ToSpeakersDocument()));
        yield return (ResultSchema.Files.Emotions, Json(result.ToEmotionsDocument()));
        yield return (ResultSchema.Files.Vtt, Utf8(Captions.ToWebVtt(result, captions)));
        yield return (ResultSchema.Files.Srt, Utf8(Captions.ToSrt(result, captions)));
        yield return (ResultSchema.Files.Report, Utf8(ReportHtml.Render(result, report)));
        yield return (ResultSchema.Files.Result, Json(result));
    }

    private static byte[] Json<T>(T document) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document, MtlJson.Options);

    /// <summary>Content type to store each file with (blob uploads).</summary>
    public static string ContentType(string fileName) => Path.GetExtension(fileName) switch
    {
        ".json" => "application/json; charset=utf-8",
        ".vtt" => "text/vtt; charset=utf-8",
        ".srt" => "application/x-subrip; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };

    private static byte[] Utf8(string text) => s_utf8.GetBytes(text);
}
