namespace MtlBatch.Pipeline.Tests;

/// <summary>The schedule the local worker runs its reprocessing on, read as the Functions host reads the timer's.</summary>
public sealed class ReprocessScheduleTests
{
    [Fact]
    public void The_schedule_is_six_field_ncrontab_in_utc_and_anything_else_fails_validation()
    {
        var hourly = ReprocessSchedule.TryParse("0 0 * * * *")!;
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero), ReprocessSchedule.Next(hourly, new DateTimeOffset(2026, 12, 1, 14, 28, 9, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 14, 30, 0, TimeSpan.Zero),
            ReprocessSchedule.Next(ReprocessSchedule.TryParse("0 */5 * * * *")!, new DateTimeOffset(2026, 12, 1, 14, 28, 9, TimeSpan.Zero)));
        Assert.Null(ReprocessSchedule.TryParse("0 * * * *")); // five fields: the host refuses it too
        Assert.Null(ReprocessSchedule.TryParse(""));

        var result = new ReprocessOptionsValidator().Validate(null, new ReprocessOptions { Schedule = "every hour", PageSize = 0 });
        Assert.True(result.Failed);
        Assert.Contains("Reprocess:Schedule = every hour: must be a six-field NCRONTAB expression", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Reprocess:PageSize = 0", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new ReprocessOptionsValidator().Validate(null, new ReprocessOptions()).Succeeded);
    }
}
