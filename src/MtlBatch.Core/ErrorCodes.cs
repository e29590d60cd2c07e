namespace MtlBatch.Core;

/// <summary>Stable error codes written to error.json and the job ledger.</summary>
public static class ErrorCodes
{
    public const string UnsupportedMedia = "unsupported-media";
    public const string NoAudioStream = "no-audio-stream";
    public const string EmptyAudio = "empty-audio";
    public const string TooLarge = "too-large";
    public const string TooLong = "too-long";
    public const string ArchiveRejected = "archive-rejected";
    public const string UnsafeName = "unsafe-name";
    public const string DecodeFailed = "decode-failed";
    public const string InferenceFailed = "inference-failed";
    public const string Timeout = "timeout";
    public const string Internal = "internal-error";

    /// <summary>Every code above: error records, ledger rows and failure events carry only these.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        UnsupportedMedia, NoAudioStream, EmptyAudio, TooLarge, TooLong, ArchiveRejected, UnsafeName, DecodeFailed, InferenceFailed, Timeout, Internal,
    };

    /// <summary>
    /// The code of a failed analysis, from the exception's type alone (never its message): the one mapping the CLI, the
    /// library and the pipeline share. The pipeline maps its own timeout policy's rejection onto <see cref="Timeout"/> first.
    /// </summary>
    public static string FromException(Exception exception) => exception switch
    {
        MtlBatchException m => m.Code,
        FileNotFoundException or DirectoryNotFoundException => UnsupportedMedia,
        TimeoutException => Timeout,
        _ => InferenceFailed,
    };
}

/// <summary>An input that cannot be analysed; carries a stable <see cref="Code"/> for error records.</summary>
public class MtlBatchException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
