using MtlBatch.Core;

namespace MtlBatch.Inference.Analytics;

/// <summary>
/// Talk analytics (docs/analytics.md) as a pure function of the turns, words and per-speaker loudness: talk time and share,
/// words per minute, longest monologue and interruptions per speaker; silences, overlap and turn count per recording.
/// </summary>
internal static class TalkAnalyticsCalculator
{
    /// <summary>Pauses in which nobody talks for at least this long are listed as non-talk time.</summary>
    public const double MinSilenceSeconds = 2.0;
    /// <summary>A turn that starts while another speaker talks interrupts them when the two overlap at least this long.</summary>
    public const double MinInterruptionSeconds = 0.3;
    private const double Epsilon = 1e-9;

    public static TalkAnalytics Compute(IReadOnlyList<SpeakerSummary> speakers, IReadOnlyList<Turn> turns, IReadOnlyList<Word> words,
        double durationSeconds, IReadOnlyDictionary<string, double?> loudnessDbfs)
    {
        ArgumentNullException.ThrowIfNull(speakers);
        ArgumentNullException.ThrowIfNull(turns);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(loudnessDbfs);

        var ids = speakers.Select(s => s.Id).Concat(turns.Select(t => t.Speaker)).Distinct(StringComparer.Ordinal).ToList();
        var roles = speakers.Where(s => s.Role is not null).ToDictionary(s => s.Id, s => s.Role, StringComparer.Ordinal);
        var spans = ids.ToDictionary(id => id, id => Intervals.Union(turns.Where(t => t.Speaker == id).Select(t => new TimeSpan2(t.Start, t.End))),
            StringComparer.Ordinal);
        var talk = ids.ToDictionary(id => id, id => spans[id].Sum(s => s.Duration), StringComparer.Ordinal);
        var totalTalk = talk.Values.Sum();

        var made = ids.ToDictionary(id => id, _ => 0, StringComparer.Ordinal);
        var received = ids.ToDictionary(id => id, _ => 0, StringComparer.Ordinal);
        foreach (var turn in turns)
        {
            foreach (var other in ids)
            {
                if (other == turn.Speaker) continue;
                // The other speaker talks when this turn starts, and goes on talking with it for long enough.
                var interrupted = spans[other].Any(s => s.Start < turn.Start - Epsilon && s.End > turn.Start + Epsilon
                    && Math.Min(s.End, turn.End) - turn.Start >= MinInterruptionSeconds - Epsilon);
                if (!interrupted) continue;
                made[turn.Speaker]++;
                received[other]++;
            }
        }

        var all = Intervals.Union(spans.Values.SelectMany(s => s));
        var silences = Intervals.Gaps(all, 0, durationSeconds).Where(g => g.Duration >= MinSilenceSeconds - Epsilon).Select(Round).ToList();

        return new TalkAnalytics
        {
            TalkSeconds = R3(all.Sum(s => s.Duration)),
            NonTalkSeconds = R3(silences.Sum(s => s.Duration)),
            OverlapSeconds = R3(Intervals.OverlapSeconds(spans.Values.ToList())),
            TurnCount = turns.Count,
            Silences = silences,
            MinSilenceSeconds = MinSilenceSeconds,
            MinInterruptionSeconds = MinInterruptionSeconds,
            Speakers = ids.Select(id =>
            {
                var count = words.Count(w => w.Speaker == id);
                var seconds = talk[id];
                return new SpeakerTalkStats
                {
                    Speaker = id,
                    Role = roles.GetValueOrDefault(id),
                    TalkSeconds = R3(seconds),
                    Share = totalTalk > 0 ? Math.Round(seconds / totalTalk, 4) : 0,
                    WordCount = count,
                    WordsPerMinute = seconds > 0 ? Math.Round(count / (seconds / 60), 1) : 0,
                    LongestMonologueSeconds = R3(turns.Where(t => t.Speaker == id).Select(t => t.End - t.Start).DefaultIfEmpty(0).Max()),
                    MeanLoudnessDbfs = loudnessDbfs.GetValueOrDefault(id),
                    InterruptionsMade = made[id],
                    InterruptionsReceived = received[id],
                };
            }).ToList(),
        };
    }

    private static double R3(double seconds) => Math.Round(seconds, 3);
    private static TimeSpan2 Round(TimeSpan2 s) => new(R3(s.Start), R3(s.End));
}

/// <summary>Set operations on time intervals.</summary>
internal static class Intervals
{
    /// <summary>Sorted, non-overlapping union (touching intervals are joined; empty ones dropped).</summary>
    public static List<TimeSpan2> Union(IEnumerable<TimeSpan2> spans)
    {
        var result = new List<TimeSpan2>();
        foreach (var s in spans.Where(s => s.End > s.Start).OrderBy(s => s.Start))
        {
            if (result.Count > 0 && s.Start <= result[^1].End) result[^1] = result[^1] with { End = Math.Max(result[^1].End, s.End) };
            else result.Add(s);
        }
        return result;
    }

    /// <summary>Parts of [<paramref name="from"/>, <paramref name="to"/>) not covered by the sorted union <paramref name="covered"/>.</summary>
    public static IEnumerable<TimeSpan2> Gaps(IReadOnlyList<TimeSpan2> covered, double from, double to)
    {
        var at = from;
        foreach (var s in covered)
        {
            if (s.Start > at) yield return new TimeSpan2(at, Math.Min(s.Start, to));
            at = Math.Max(at, s.End);
            if (at >= to) yield break;
        }
        if (at < to) yield return new TimeSpan2(at, to);
    }

    /// <summary>The intersection of two sorted unions.</summary>
    public static List<TimeSpan2> Intersect(IReadOnlyList<TimeSpan2> a, IReadOnlyList<TimeSpan2> b)
    {
        var result = new List<TimeSpan2>();
        int i = 0, j = 0;
        while (i < a.Count && j < b.Count)
        {
            var start = Math.Max(a[i].Start, b[j].Start);
            var end = Math.Min(a[i].End, b[j].End);
            if (end > start) result.Add(new TimeSpan2(start, end));
            if (a[i].End < b[j].End) i++; else j++;
        }
        return result;
    }

    /// <summary>Seconds in which two or more of the <paramref name="tracks"/> (each a sorted union) are active.</summary>
    public static double OverlapSeconds(IReadOnlyList<List<TimeSpan2>> tracks)
    {
        var edges = tracks.SelectMany(t => t.SelectMany(s => new[] { (Time: s.Start, Delta: 1), (Time: s.End, Delta: -1) }))
            .OrderBy(e => e.Time).ThenBy(e => e.Delta).ToList();
        double overlap = 0, last = 0; var active = 0;
        foreach (var (time, delta) in edges)
        {
            if (active >= 2) overlap += time - last;
            active += delta; last = time;
        }
        return overlap;
    }
}
