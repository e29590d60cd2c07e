using MtlBatch.Core;

namespace MtlBatch.Audio;

/// <summary>Why one input cannot be analysed: a stable <see cref="ErrorCodes"/> code and a message for error.json.</summary>
public sealed record AudioInputError(string Code, string Message)
{
    public MtlBatchException ToException() => new(Code, Message);
}

/// <summary>
/// One recording to analyse, from <see cref="AudioInputs"/> or <see cref="ArchiveExpander"/>. Either
/// <see cref="LocalPath"/> is a readable file, or <see cref="Error"/> says why this item cannot be analysed (the caller
/// records it and goes on). Dispose it when done: archive entries live in a temp file that is deleted then.
/// </summary>
public sealed class AudioInput : IDisposable
{
    private readonly bool _ownsFile;

    internal AudioInput(string relativeName, string? localPath, string sourceDescription, AudioInputError? error, bool ownsFile)
    {
        RelativeName = relativeName;
        LocalPath = localPath;
        SourceDescription = sourceDescription;
        Error = error;
        _ownsFile = ownsFile;
    }

    /// <summary>
    /// The name the outputs mirror: '/'-separated, relative, extension kept, never containing "..", a drive or a
    /// leading '/'. E.g. <c>calls/2024/a.mp3</c> in a folder, <c>batch1/sub/a.wav</c> inside <c>batch1.zip</c>.
    /// </summary>
    public string RelativeName { get; }

    /// <summary>A readable local file (an extracted temp copy for archive entries); null when <see cref="Error"/> is set.</summary>
    public string? LocalPath { get; }

    /// <summary>Where it came from, for logs and messages, e.g. <c>/data/calls/a.mp3</c> or <c>batch1.zip!sub/a.wav</c>.</summary>
    public string SourceDescription { get; }

    /// <summary>Set when this item cannot be analysed; record it (error.json) and continue with the other items.</summary>
    public AudioInputError? Error { get; }

    public bool IsError => Error is not null;

    internal static AudioInput Failed(string relativeName, string source, string code, string message) =>
        new(relativeName, null, source, new AudioInputError(code, message), ownsFile: false);

    /// <summary>Deletes the temp file of an extracted archive entry (no-op for files that were not extracted).</summary>
    public void Dispose()
    {
        if (!_ownsFile || LocalPath is null) return;
        try
        {
            File.Delete(LocalPath);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public override string ToString() => IsError ? $"{RelativeName} [{Error!.Code}] {Error.Message}" : $"{RelativeName} ({SourceDescription})";
}
