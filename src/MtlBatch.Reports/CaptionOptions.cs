namespace MtlBatch.Reports;

/// <summary>Caption layout rules (defaults follow common broadcast guidance: 42 characters, 2 lines, 7 seconds).</summary>
public sealed class CaptionOptions
{
    public const string SectionName = "Captions";

    /// <summary>Most visible characters on one caption line, the speaker label included.</summary>
    public int MaxLineLength { get; set; } = 42;
    public int MaxLines { get; set; } = 2;
    /// <summary>Longest time one cue stays on screen.</summary>
    public double MaxCueSeconds { get; set; } = 7;
    /// <summary>A silence longer than this between two words starts a new cue.</summary>
    public double PauseSeconds { get; set; } = 1.0;
    /// <summary>Speaker labels longer than this are shortened so they never crowd out the words.</summary>
    public int MaxSpeakerLabelLength { get; set; } = 16;

    public void Validate()
    {
        if (MaxLineLength < 20) throw new ArgumentOutOfRangeException(nameof(MaxLineLength), MaxLineLength, "must be >= 20");
        if (MaxLines < 1) throw new ArgumentOutOfRangeException(nameof(MaxLines), MaxLines, "must be >= 1");
        if (MaxCueSeconds <= 0.5) throw new ArgumentOutOfRangeException(nameof(MaxCueSeconds), MaxCueSeconds, "must be > 0.5");
        if (PauseSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(PauseSeconds), PauseSeconds, "must be > 0");
        if (MaxSpeakerLabelLength < 1 || MaxSpeakerLabelLength > MaxLineLength / 2)
            throw new ArgumentOutOfRangeException(nameof(MaxSpeakerLabelLength), MaxSpeakerLabelLength, "must be between 1 and half a line");
    }
}
