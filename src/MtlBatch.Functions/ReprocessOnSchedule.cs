using Microsoft.Azure.Functions.Worker;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>Timer (CRON from app setting <c>Reprocess:Schedule</c>): re-run uploads with missing or stale results, throttled and resumable.</summary>
public sealed class ReprocessOnSchedule(ReprocessScheduler scheduler)
{
    [Function(nameof(ReprocessOnSchedule))]
    public async Task<IReadOnlyList<ReprocessReport>> Run([TimerTrigger("%" + ReprocessOptions.SectionName + ":Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await scheduler.RunScheduledAsync(cancellationToken).ConfigureAwait(false);
}
