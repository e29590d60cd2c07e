namespace MtlBatch.Core;

public enum DevicePreference { Auto, Cpu, Cuda }

public enum ChannelMode { Mix, Split }

/// <summary>How one recording is analysed. Bound from configuration section <c>Analysis</c> or CLI flags.</summary>
public sealed class AnalysisOptions
{
    public const string SectionName = "Analysis";

    /// <summary>Path to the ONNX model; default is the bundled models/mtl-small.onnx.</summary>
    public string? ModelPath { get; set; }
    public DevicePreference Device { get; set; } = DevicePreference.Auto;
    public int MinSpeakers { get; set; } = 1;
    public int MaxSpeakers { get; set; } = 6;
    public ChannelMode Channels { get; set; } = ChannelMode.Mix;
    /// <summary>Length of one inference chunk in seconds.</summary>
    public double ChunkSeconds { get; set; } = 30;
    /// <summary>Overlap between consecutive chunks in seconds (context on each side of the kept centre).</summary>
    public double ChunkOverlapSeconds { get; set; } = 2;
    /// <summary>
    /// Chunks per ONNX Runtime call; 0 chooses by device: 1 on CPU (measured: batching gains no speed there and costs
    /// memory, docs/inference.md), 4 on CUDA.
    /// </summary>
    public int BatchSize { get; set; }
    /// <summary>
    /// CTC beam width; 1 means greedy decoding. 16: with the lexicon and word LM, beam 16 beat 8 on the development sets
    /// (WER 60.7 % against 65.3 % at the same weights; docs/inference.md) and still decodes at ~650x realtime.
    /// </summary>
    public int BeamWidth { get; set; } = 16;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime decide.</summary>
    public int IntraOpThreads { get; set; }
    /// <summary>
    /// With <see cref="ChannelMode.Split"/>: the role of channel 1, 2, ... (e.g. <c>agent</c>, <c>customer</c>), written as
    /// <c>role</c> on speakers and turns and shown instead of <c>ch1</c> in captions and the report. Empty = no roles.
    /// </summary>
    public List<string> ChannelRoles { get; set; } = [];
    /// <summary>Redaction of card numbers, phone numbers, e-mail addresses, digits and phrases (off by default).</summary>
    public RedactionOptions Redaction { get; set; } = new();

    /// <summary>A copy whose lists can be replaced without touching this instance (per-recording settings in the pipeline).</summary>
    public AnalysisOptions Copy()
    {
        var copy = (AnalysisOptions)MemberwiseClone();
        copy.ChannelRoles = [.. ChannelRoles];
        copy.Redaction = Redaction.Copy();
        return copy;
    }

    public void Validate()
    {
        if (MinSpeakers < 1) throw new ArgumentOutOfRangeException(nameof(MinSpeakers), MinSpeakers, "must be >= 1");
        if (MaxSpeakers < MinSpeakers) throw new ArgumentOutOfRangeException(nameof(MaxSpeakers), MaxSpeakers, "must be >= MinSpeakers");
        if (ChunkSeconds < 4) throw new ArgumentOutOfRangeException(nameof(ChunkSeconds), ChunkSeconds, "must be >= 4");
        if (ChunkOverlapSeconds < 0 || ChunkOverlapSeconds * 2 >= ChunkSeconds)
            throw new ArgumentOutOfRangeException(nameof(ChunkOverlapSeconds), ChunkOverlapSeconds, "must be >= 0 and less than half a chunk");
        if (BatchSize < 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be >= 0 (0 = by device)");
        if (BeamWidth < 1) throw new ArgumentOutOfRangeException(nameof(BeamWidth), BeamWidth, "must be >= 1");
        ValidateRoles(ChannelRoles, nameof(ChannelRoles));
        Redaction.Validate();
    }

    /// <summary>Roles are short lower-case words (letters, digits, '-', '_'), distinct: they name speakers in captions.</summary>
    public static void ValidateRoles(IReadOnlyList<string> roles, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(roles);
        foreach (var role in roles)
        {
            if (string.IsNullOrEmpty(role) || role.Length > 32 || !role.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
                throw new ArgumentOutOfRangeException(parameterName, string.Join(',', roles), $"'{role}' is not a role: use 1-32 lower-case letters, digits, '-' or '_'");
        }
        if (roles.Distinct(StringComparer.Ordinal).Count() != roles.Count)
            throw new ArgumentOutOfRangeException(parameterName, string.Join(',', roles), "roles must be distinct");
    }
}

/// <summary>What redaction removes (docs/analytics.md#redaction).</summary>
public enum RedactionCategory { Card, Phone, Email, Numbers }

/// <summary>
/// Redaction settings (section <c>Analysis:Redaction</c>; CLI <c>--redact</c>, <c>--redact-phrases</c>, <c>--redacted-audio</c>).
/// When anything is on, the unredacted words are never put into a result, so no writer can store them.
/// </summary>
public sealed class RedactionOptions
{
    public List<RedactionCategory> Categories { get; set; } = [];
    /// <summary>A text file with one phrase a line (blank lines and lines starting with '#' are skipped).</summary>
    public string? PhrasesPath { get; set; }
    /// <summary>Phrases given inline (configuration); matched like those of <see cref="PhrasesPath"/>.</summary>
    public List<string> Phrases { get; set; } = [];
    /// <summary>Card numbers must pass the Luhn check. Off by default: one misrecognised digit would let a card through.</summary>
    public bool RequireLuhn { get; set; }
    /// <summary>Also write <c>redacted.wav</c>: the recording (16 kHz mono) with the redacted spans silenced.</summary>
    public bool RedactedAudio { get; set; }

    public bool Enabled => Categories.Count > 0 || Phrases.Count > 0 || !string.IsNullOrEmpty(PhrasesPath);

    public RedactionOptions Copy() => new()
    {
        Categories = [.. Categories], PhrasesPath = PhrasesPath, Phrases = [.. Phrases], RequireLuhn = RequireLuhn, RedactedAudio = RedactedAudio,
    };

    /// <summary>Parses <c>card,phone,email,numbers</c> (case-insensitive); <c>off</c> or empty = none.</summary>
    public static List<RedactionCategory> ParseCategories(string? list)
    {
        var result = new List<RedactionCategory>();
        if (string.IsNullOrWhiteSpace(list) || list.Trim().Equals("off", StringComparison.OrdinalIgnoreCase)) return result;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<RedactionCategory>(part, ignoreCase: true, out var category) || !Enum.IsDefined(category) || int.TryParse(part, out _))
                throw new ArgumentOutOfRangeException("Redaction:Categories", list, $"'{part}' is not one of card, phone, email, numbers");
            if (!result.Contains(category)) result.Add(category);
        }
        return result;
    }

    public void Validate()
    {
        if (Categories.Any(c => !Enum.IsDefined(c))) throw new ArgumentOutOfRangeException("Redaction:Categories", string.Join(',', Categories), "unknown category");
        if (!string.IsNullOrEmpty(PhrasesPath) && !File.Exists(PhrasesPath))
            throw new ArgumentOutOfRangeException("Redaction:PhrasesPath", PhrasesPath, "the phrase list file does not exist");
        if (Phrases.Any(string.IsNullOrWhiteSpace)) throw new ArgumentOutOfRangeException("Redaction:Phrases", Phrases.Count, "phrases must not be blank");
        if (RedactedAudio && !Enabled) throw new ArgumentOutOfRangeException("Redaction:RedactedAudio", RedactedAudio, "needs a redaction category or phrases");
    }
}

/// <summary>Limits enforced before expensive work. Bound from configuration section <c>Limits</c>.</summary>
public sealed class InputLimits
{
    public const string SectionName = "Limits";
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    public double MaxDurationSeconds { get; set; } = 24 * 3600;
    public int MaxArchiveEntries { get; set; } = 20_000;
    public long MaxArchiveExpandedBytes { get; set; } = 20L * 1024 * 1024 * 1024;
    /// <summary>Largest tolerated expansion ratio of one archive entry (zip-bomb guard).</summary>
    public double MaxCompressionRatio { get; set; } = 200;
    public int MaxNameLength { get; set; } = 1024;
}
