using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>
/// What intake decides about an upload before decoding it, and the content keys that name jobs
/// (<see cref="JobLedger.ComputeJobId"/>): one place for <see cref="RecordingIntakeHandler"/> and
/// <see cref="SubmissionService"/>, so <c>mtlbatch submit</c> prints the job ids the intake computes.
/// </summary>
internal static class IntakeRules
{
    /// <summary>The content key of an archive entry that cannot be used (the archive itself when it is broken: its hash).</summary>
    public const string EntryErrorKey = "entry-error";

    /// <summary>Why the whole upload is rejected before it is downloaded (unsafe name, too large, empty), or null.</summary>
    public static MtlBatchException? UploadProblem(string upload, long size, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (RecordingPaths.Problem(upload, limits.MaxNameLength) is { } nameProblem)
            return new MtlBatchException(ErrorCodes.UnsafeName, $"The upload name cannot be used: {nameProblem}.");
        if (size > limits.MaxUploadBytes)
            return new MtlBatchException(ErrorCodes.TooLarge, $"The upload is {size} bytes; the limit is {limits.MaxUploadBytes} bytes.");
        if (size == 0)
            return new MtlBatchException(ErrorCodes.EmptyAudio, "The upload is empty (0 bytes).");
        return null;
    }

    /// <summary>An upload rejected before it could be hashed is named by its blob ETag.</summary>
    public static string RejectedUploadKey(string normalizedETag) => "etag:" + normalizedETag;

    /// <summary>The content key of an archive item with an error: the archive's hash when the whole archive is unusable, else <see cref="EntryErrorKey"/>.</summary>
    public static async Task<string> EntryErrorKeyAsync(AudioInput entry, string upload, string archiveFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.RelativeName == upload ? await RecordingMedia.Sha256Async(archiveFile, cancellationToken).ConfigureAwait(false) : EntryErrorKey;
    }
}
