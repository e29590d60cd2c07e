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

    /// <summary>Files a set may or may not have (written by the caller before result.json); a sink's begin removes those of an earlier set that the new one lacks.</summary>
    public static IReadOnlyList<string> OptionalFileNames { get; } = [ResultSchema.Files.RedactedAudio];

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
        foreach (var name in FileNames) yield return (name, RenderFile(name, result, captions, report));
    }

    private static byte[] RenderFile(string fileName, AnalysisResult result, CaptionOptions? captions, ReportOptions? report) => fileName switch
    {
        ResultSchema.Files.Vtt => Utf8(Captions.ToWebVtt(result, captions)),
        ResultSchema.Files.Srt => Utf8(Captions.ToSrt(result, captions)),
        ResultSchema.Files.Report => Utf8(ReportHtml.Render(result, report)),
        _ => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(JsonDocumentFor(fileName, result), MtlJson.Options),
    };

    /// <summary>
    /// Writes one file of the set to <paramref name="destination"/>; the JSON documents are serialised straight into the
    /// stream (no whole-file buffer), which keeps a 10-hour recording's write within the memory budget.
    /// </summary>
    public static async Task WriteFileAsync(string fileName, AnalysisResult result, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (fileName.EndsWith(".json", StringComparison.Ordinal))
            await System.Text.Json.JsonSerializer.SerializeAsync(destination, JsonDocumentFor(fileName, result), MtlJson.Options, cancellationToken).ConfigureAwait(false);
        else
            await destination.WriteAsync(RenderFile(fileName, result, null, null), cancellationToken).ConfigureAwait(false);
    }

    private static object JsonDocumentFor(string fileName, AnalysisResult result) => fileName switch
    {
        ResultSchema.Files.Transcript => result.ToTranscriptDocument(),
        ResultSchema.Files.Speakers => result.ToSpeakersDocument(),
        ResultSchema.Files.Emotions => result.ToEmotionsDocument(),
        ResultSchema.Files.Result => result,
        _ => throw new ArgumentOutOfRangeException(nameof(fileName), fileName, "not a file of the result set"),
    };


    /// <summary>Content type to store each file with (blob uploads).</summary>
    public static string ContentType(string fileName) => Path.GetExtension(fileName) switch
    {
        ".json" => "application/json; charset=utf-8",
        ".vtt" => "text/vtt; charset=utf-8",
        ".srt" => "application/x-subrip; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        ".wav" => "audio/wav",
        _ => "application/octet-stream",
    };

    private static byte[] Utf8(string text) => s_utf8.GetBytes(text);
}
