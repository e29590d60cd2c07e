using NCrontab;

namespace MtlBatch.Pipeline;

/// <summary>
/// <see cref="ReprocessOptions.Schedule"/> read the way the Functions host reads a timer trigger's schedule: six-field
/// NCRONTAB (seconds, minutes, hours, day, month, day of week), in UTC. The local worker uses it to run the same passes.
/// </summary>
internal static class ReprocessSchedule
{
    /// <summary>The parsed schedule, or null when <paramref name="expression"/> is not six-field NCRONTAB.</summary>
    public static CrontabSchedule? TryParse(string? expression) =>
        string.IsNullOrWhiteSpace(expression) ? null : CrontabSchedule.TryParse(expression.Trim(), new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    /// <summary>The first occurrence after <paramref name="after"/> (UTC).</summary>
    public static DateTimeOffset Next(CrontabSchedule schedule, DateTimeOffset after)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var next = schedule.GetNextOccurrence(after.UtcDateTime);
        return new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }
}
