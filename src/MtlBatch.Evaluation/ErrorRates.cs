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
}
