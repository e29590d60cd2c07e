namespace MtlBatch.Evaluation;

/// <summary>Accumulates edit-distance error rates (CER, WER, PER): errors over reference length, summed over a set.</summary>
public sealed class ErrorRate
{
    public long Errors { get; private set; }
    public long ReferenceLength { get; private set; }
    public double Value => ReferenceLength == 0 ? 0 : (double)Errors / ReferenceLength;

    public void Add<T>(IReadOnlyList<T> reference, IReadOnlyList<T> hypothesis) where T : IEquatable<T>
    {
        Errors += EditDistance.Compute(reference, hypothesis);
        ReferenceLength += reference.Count;
    }

    public void AddWords(string reference, string hypothesis) =>
        Add(reference.Split(' ', StringSplitOptions.RemoveEmptyEntries), hypothesis.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public void AddChars(string reference, string hypothesis) =>
        Add(Collapse(reference).ToCharArray(), Collapse(hypothesis).ToCharArray());

    private static string Collapse(string s) => string.Join(' ', s.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}

public static class EditDistance
{
    /// <summary>Levenshtein distance (substitutions, insertions, deletions all cost 1) in O(n) memory.</summary>
    public static int Compute<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) where T : IEquatable<T>
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (var j = 0; j <= b.Count; j++) previous[j] = j;
        for (var i = 1; i <= a.Count; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Count; j++)
            {
                var cost = a[i - 1].Equals(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }

    /// <summary>
    /// For each hypothesis item, whether a minimum-edit alignment pairs it with an equal reference item (a hit, not a
    /// substitution or insertion). Among equally short alignments, hits are preferred.
    /// </summary>
    public static bool[] MatchedHypothesis<T>(IReadOnlyList<T> reference, IReadOnlyList<T> hypothesis) where T : IEquatable<T>
    {
        int n = reference.Count, m = hypothesis.Count;
        var d = new int[n + 1, m + 1];
        for (var i = 0; i <= n; i++) d[i, 0] = i;
        for (var j = 0; j <= m; j++) d[0, j] = j;
        for (var i = 1; i <= n; i++)
            for (var j = 1; j <= m; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (reference[i - 1].Equals(hypothesis[j - 1]) ? 0 : 1));
        var matched = new bool[m];
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            if (i > 0 && j > 0 && reference[i - 1].Equals(hypothesis[j - 1]) && d[i, j] == d[i - 1, j - 1]) { matched[j - 1] = true; i--; j--; }
            else if (i > 0 && j > 0 && d[i, j] == d[i - 1, j - 1] + 1) { i--; j--; }
            else if (j > 0 && d[i, j] == d[i, j - 1] + 1) j--;
            else i--;
        }
        return matched;
    }
}
