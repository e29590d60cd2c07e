using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// Maps upload names to recording paths and result folders. Results mirror the upload's path:
/// <c>recordings/calls/a.mp3</c> -> <c>results/calls/a.mp3/</c>; archive entries -> <c>results/{archive name without extension}/{entry path}/</c>
/// (the names <c>mtlbatch analyze</c> gives, from MtlBatch.Audio's ArchiveExpander).
/// </summary>
public static class RecordingPaths
{
    /// <summary>The results folder (no trailing slash) for a recording path; the path is checked first.</summary>
    public static string ResultsFolder(string recording) => SafeOrHashed(recording);

    public static string ResultBlob(string recording) => ResultsFolder(recording) + "/" + ResultSchema.Files.Result;
    public static string ErrorBlob(string recording) => ResultsFolder(recording) + "/" + ResultSchema.Files.Error;

    /// <summary>Why a name cannot be used as-is for output blob names, or null when it can.</summary>
    public static string? Problem(string name, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(name)) return "empty name";
        if (name.Length > maxLength) return $"name longer than {maxLength} characters";
        if (name.Any(char.IsControl)) return "control characters in name";
        if (name.StartsWith('/') || name.Contains('\\')) return "absolute path or backslash in name";
        if (name.Split('/').Any(s => s is "" or "." or "..")) return "empty, '.' or '..' path segment";
        return null;
    }

    /// <summary>Unsafe names (e.g. "../x") never become blob paths: they are filed under _rejected/{hash}.</summary>
    private static string SafeOrHashed(string name) =>
        Problem(name, 1024) is null ? name : "_rejected/" + JobLedger.KeyOf(name);
}
