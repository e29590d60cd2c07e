using System.Collections;
using MtlBatch.Core;

namespace MtlBatch.Inference;

/// <summary>
/// The phoneme track of a result as a read-only list that creates each <see cref="PhonemeSpan"/> when it is read. A 10-hour
/// recording has hundreds of thousands of phonemes: kept as 12-byte runs they cost a few MB instead of one object each.
/// </summary>
internal sealed class PhonemeSpanList(IReadOnlyList<Ctc.DecodedLabel> runs, IReadOnlyList<string> symbols, double frameShift, double durationSeconds)
    : IReadOnlyList<PhonemeSpan>
{
    public int Count => runs.Count;

    public PhonemeSpan this[int index]
    {
        get
        {
            var run = runs[index];
            return new PhonemeSpan { Symbol = symbols[run.Token], Start = Clamp(run.StartFrame * frameShift), End = Clamp(run.EndFrame * frameShift) };
        }
    }

    private double Clamp(double t) => Math.Round(Math.Clamp(t, 0, durationSeconds), 3);

    public IEnumerator<PhonemeSpan> GetEnumerator()
    {
        for (var i = 0; i < runs.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
