namespace MtlBatch.Audio;

/// <summary>Where <see cref="ArchiveExpander"/> extracts entries. Bound from configuration section <c>Archives</c>.</summary>
public sealed class ArchiveExpanderOptions
{
    public const string SectionName = "Archives";

    /// <summary>Parent folder of the per-archive extraction folders; default is the system temp folder.</summary>
    public string? TempFolder { get; set; }

    /// <summary>
    /// Bytes an entry may always expand to before the compression-ratio limit applies (1 MiB), so tiny, highly
    /// compressible files (short silences) are not mistaken for bombs.
    /// </summary>
    public long RatioGraceBytes { get; set; } = 1L << 20;
}
