namespace MtlBatch.Reports;

/// <summary>Knobs of the HTML report.</summary>
public sealed class ReportOptions
{
    public const string SectionName = "Report";

    /// <summary>Words below this confidence are marked (dotted underline) in the transcript.</summary>
    public double LowConfidence { get; set; } = 0.5;
    /// <summary>Upper bound of the horizontal zoom factor (the timeline is this many screen widths at most).</summary>
    public int MaxZoom { get; set; } = 128;
    /// <summary>Axis labels per screen width; label steps are chosen so no more than this many appear at each zoom level.</summary>
    public int AxisLabelsPerWidth { get; set; } = 10;
    /// <summary>Width in pixels assumed for the timeline at zoom 1 when deciding whether a text label fits inside a segment.</summary>
    public double AssumedWidthPixels { get; set; } = 900;

    public void Validate()
    {
        if (LowConfidence is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(LowConfidence), LowConfidence, "must be in [0, 1]");
        if (MaxZoom < 1) throw new ArgumentOutOfRangeException(nameof(MaxZoom), MaxZoom, "must be >= 1");
        if (AxisLabelsPerWidth < 2) throw new ArgumentOutOfRangeException(nameof(AxisLabelsPerWidth), AxisLabelsPerWidth, "must be >= 2");
        if (AssumedWidthPixels < 100) throw new ArgumentOutOfRangeException(nameof(AssumedWidthPixels), AssumedWidthPixels, "must be >= 100");
    }
}
