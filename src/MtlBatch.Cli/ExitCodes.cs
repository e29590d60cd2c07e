namespace MtlBatch.Cli;

/// <summary>The CLI's exit codes (the same meaning for every command, e.g. analyze returns 1 and 2 for these cases too).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Something the command handled failed (an input, a job); each failure has its error record.</summary>
    public const int Failures = 1;
    /// <summary>Bad arguments or configuration; nothing was processed.</summary>
    public const int InvalidConfiguration = 2;
}
