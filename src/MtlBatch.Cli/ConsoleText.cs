namespace MtlBatch.Cli;

/// <summary>Text that has to fit a console column.</summary>
public static class ConsoleText
{
    /// <summary>Widest input name shown in the summary table and progress bars; longer names are elided in the middle.</summary>
    public const int MaxNameWidth = 48;

    /// <summary>
    /// <paramref name="text"/> when it fits in <paramref name="width"/> characters, else its start and end around one "…"
    /// (the end gets the extra character: it holds the file name and extension, e.g. <c>calls/2026/…/day1/conversation.wav</c>).
    /// </summary>
    public static string ElideMiddle(string text, int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 3);
        if (text.Length <= width) return text;
        var keep = width - 1;
        var head = keep / 2;
        return string.Concat(text.AsSpan(0, head), "…", text.AsSpan(text.Length - (keep - head)));
    }
}
