namespace MtlBatch.Inference.Ctc;

/// <summary>A label run from greedy CTC decoding over frames [StartFrame, EndFrame) — 12 bytes, as there are many.</summary>
internal readonly record struct DecodedLabel(int Token, int StartFrame, int EndFrame);

/// <summary>
/// Greedy (best-path) CTC decoding that keeps its state across regions: the phoneme sequence needs no beam, and a
/// label run that continues over a region boundary stays one label.
/// </summary>
internal sealed class StreamingGreedyDecoder(int vocab, Action<DecodedLabel> onLabel)
{
    private long _frame;          // global index of the next frame
    private int _current = CtcPrefixBeamSearch.Blank;
    private long _runStart;

    public void Push(ReadOnlySpan<float> logProbs, int frames)
    {
        for (var t = 0; t < frames; t++, _frame++)
        {
            var best = CtcPrefixBeamSearch.ArgMax(logProbs.Slice(t * vocab, vocab));
            if (best == _current) continue;
            Close();
            _current = best;
            _runStart = _frame;
        }
    }

    public void Complete() { Close(); _current = CtcPrefixBeamSearch.Blank; }

    private void Close()
    {
        if (_current != CtcPrefixBeamSearch.Blank) onLabel(new DecodedLabel(_current, (int)_runStart, (int)_frame));
    }
}
