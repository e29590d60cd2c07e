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

    public static IReadOnlyList<(string FileName, byte[] Content)> Render(AnalysisResult result, CaptionOptions? captions = null, ReportOptions? report = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return
        [
            (ResultSchema.Files.Transcript, Utf8(MtlJson.Serialize(result.ToTranscriptDocument()))),
            (ResultSchema.Files.Speakers, Utf8(MtlJson.Serialize(result.ToSpeakersDocument()))),
            (ResultSchema.Files.Emotions, Utf8(MtlJson.Serialize(result.ToEmotionsDocument()))),
            (ResultSchema.Files.Vtt, Utf8(Captions.ToWebVtt(result, captions))),
            (ResultSchema.Files.Srt, Utf8(Captions.ToSrt(result, captions))),
            (ResultSchema.Files.Report, Utf8(ReportHtml.Render(result, report))),
            (ResultSchema.Files.Result, Utf8(MtlJson.Serialize(result))),
        ];
    }

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
