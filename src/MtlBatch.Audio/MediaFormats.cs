using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Audio;

/// <summary>
/// The container allow-list and the playlist sniffer. Untrusted media must be self-contained: ffmpeg demuxers such as
/// hls (m3u8), concat (ffconcat), sdp/rtp or image sequences open OTHER files or URLs named inside the input, which
/// would let an upload read local files or reach the network. Only real audio/video container demuxers are allowed.
/// </summary>
public static class MediaFormats
{
    /// <summary>ffmpeg demuxer names accepted for untrusted input (passed to ffmpeg as <c>-format_whitelist</c>).</summary>
    public static IReadOnlyList<string> AllowedDemuxers { get; } =
    [
        "wav", "w64", "mp3", "mov", "matroska", "ogg", "flac", "aac", "loas", "caf", "aiff", "au", "wv", "ape",
        "ac3", "eac3", "dts", "mpeg", "mpegts", "avi", "asf", "flv", "amr", "tta", "voc", "xwma", "gsm",
    ];

    internal static string WhitelistArgument { get; } = string.Join(',', AllowedDemuxers);

    /// <summary>True when any of ffprobe's comma-separated format names (e.g. <c>mov,mp4,m4a</c>) is allowed.</summary>
    public static bool IsAllowedFormat(string? formatName) =>
        !string.IsNullOrEmpty(formatName) &&
        formatName.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(n => AllowedDemuxers.Contains(n, StringComparer.OrdinalIgnoreCase));

    // Text headers of inputs that make ffmpeg open other files/URLs. Checked before ffmpeg sees the file so the
    // user gets a clear message; -format_whitelist is the real guard if something slips past this sniff.
    private static readonly string[] IndirectInputPrefixes =
        ["#extm3u", "#ext-x-", "ffconcat", "v=0", "[playlist]", "file ", "file\t", "file'", "<?xml", "<asx", "<smil"];

    /// <summary>Throws <c>unsupported-media</c> when the file starts like a playlist, concat list or SDP description.</summary>
    public static void RejectIndirectInput(string path, string displayName)
    {
        Span<byte> head = stackalloc byte[512];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        if (LooksIndirect(head[..read]))
        {
            throw new MtlBatchException(ErrorCodes.UnsupportedMedia,
                $"'{displayName}' is a playlist, concat list or stream description that points at other files or URLs; " +
                "only self-contained audio/video files are accepted.");
        }
    }

    internal static bool LooksIndirect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("\uFEFF"u8)) head = head[3..];
        while (!head.IsEmpty && head[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') head = head[1..];
        var text = Encoding.ASCII.GetString(head[..Math.Min(head.Length, 16)]).ToLowerInvariant();
        return IndirectInputPrefixes.Any(text.StartsWith);
    }
}
