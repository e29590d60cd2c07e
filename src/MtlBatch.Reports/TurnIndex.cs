using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>Finds the turn a moment belongs to (turns sorted by start; they may overlap when people talk at once).</summary>
internal sealed class TurnIndex
{
    private readonly IReadOnlyList<Turn> _turns;
    private readonly int[] _order;
    private readonly double[] _starts;
    private readonly double _longestTurn;

    public TurnIndex(IReadOnlyList<Turn> turns)
    {
        _turns = turns;
        _order = Enumerable.Range(0, turns.Count).OrderBy(i => turns[i].Start).ThenBy(i => i).ToArray();
        _starts = _order.Select(i => turns[i].Start).ToArray();
        _longestTurn = turns.Count == 0 ? 0 : turns.Max(t => t.End - t.Start);
    }

    public int Count => _turns.Count;

    /// <summary>
    /// Index (into the original list) of the turn containing <paramref name="time"/>, preferring one of
    /// <paramref name="speaker"/>; when none contains it, the nearest turn (of that speaker if any). -1 if there are no turns.
    /// </summary>
    public int Find(double time, string? speaker)
    {
        if (_turns.Count == 0) return -1;
        int hi = UpperBound(time) - 1; // last turn starting at or before time
        int containing = -1;
        // Only turns starting within the longest turn's length before 'time' can contain it.
        for (int k = hi; k >= 0 && _starts[k] >= time - _longestTurn; k--)
        {
            var t = _turns[_order[k]];
            if (t.End < time) continue;
            if (speaker is null || t.Speaker == speaker) return _order[k];
            if (containing < 0) containing = _order[k];
        }
        if (speaker is null) return containing >= 0 ? containing : Nearest(time, null).Index;

        // The word's own speaker wins if one of their turns is close; otherwise whoever was talking then.
        var (same, distance) = Nearest(time, speaker);
        if (same >= 0 && distance <= NearSeconds) return same;
        if (containing >= 0) return containing;
        return same >= 0 ? same : Nearest(time, null).Index;
    }

    private const double NearSeconds = 1.0;

    private (int Index, double Distance) Nearest(double time, string? speaker)
    {
        int best = -1;
        double bestDistance = double.MaxValue;
        for (int i = 0; i < _turns.Count; i++)
        {
            var t = _turns[i];
            if (speaker is not null && t.Speaker != speaker) continue;
            double d = time < t.Start ? t.Start - time : time > t.End ? time - t.End : 0;
            if (d < bestDistance) { bestDistance = d; best = i; }
        }
        return (best, bestDistance);
    }

    private int UpperBound(double time)
    {
        int lo = 0, hi = _starts.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_starts[mid] <= time) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
