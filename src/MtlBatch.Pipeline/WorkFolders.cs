using Microsoft.Extensions.Logging;

namespace MtlBatch.Pipeline;

/// <summary>Per-job scratch folders (decoded audio, extracted archive entries) and their clean-up after a crash.</summary>
public static class WorkFolders
{
    public const string JobPrefix = "mtlbatch-job-";
    public const string IntakePrefix = "mtlbatch-intake-";

    /// <summary>
    /// Deletes job and intake folders under <paramref name="root"/> whose newest file is older than <paramref name="age"/>.
    /// Handlers delete their folder when they finish; only a killed process (SIGKILL, OOM, power loss) leaves one.
    /// Returns how many folders were removed.
    /// </summary>
    public static int SweepStale(string root, TimeSpan age, DateTimeOffset now, ILogger logger)
    {
        if (!Directory.Exists(root)) return 0;
        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(root).Where(d => Path.GetFileName(d) is var n && (n.StartsWith(JobPrefix, StringComparison.Ordinal) || n.StartsWith(IntakePrefix, StringComparison.Ordinal))))
        {
            try
            {
                var info = new DirectoryInfo(dir);
                var newest = info.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(f => f.LastWriteTimeUtc).DefaultIfEmpty(info.LastWriteTimeUtc).Max();
                if (now - newest < age) continue;
                info.Delete(recursive: true);
                removed++;
                logger.LogWarning("Removed stale work folder {Folder} (last written {LastWrite:o}), left by a worker that did not finish", dir, newest);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Could not remove stale work folder {Folder}", dir);
            }
        }
        return removed;
    }
}
