using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Pipeline;

namespace MtlBatch.Pipeline.Tests;

public class WorkFoldersTests
{
    [Fact]
    public void Stale_job_folders_are_removed_and_fresh_ones_and_other_folders_are_kept()
    {
        var root = Directory.CreateTempSubdirectory("mtlbatch-sweep-").FullName;
        try
        {
            string Make(string name, DateTime written)
            {
                var dir = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
                var file = Path.Combine(dir, "audio.wav");
                File.WriteAllText(file, "x");
                File.SetLastWriteTimeUtc(file, written);
                Directory.SetLastWriteTimeUtc(dir, written);
                return dir;
            }
            var now = DateTime.UtcNow;
            var staleJob = Make(WorkFolders.JobPrefix + "a", now.AddHours(-7));
            var staleIntake = Make(WorkFolders.IntakePrefix + "b", now.AddHours(-30));
            var live = Make(WorkFolders.JobPrefix + "c", now.AddMinutes(-5));
            var other = Make("someone-else", now.AddDays(-3));

            var removed = WorkFolders.SweepStale(root, TimeSpan.FromHours(6), now, NullLogger.Instance);

            Assert.Equal(2, removed);
            Assert.False(Directory.Exists(staleJob));
            Assert.False(Directory.Exists(staleIntake));
            Assert.True(Directory.Exists(live));
            Assert.True(Directory.Exists(other));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
