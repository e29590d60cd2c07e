namespace MtlBatch.Inference.Ctc;

/// <summary>A recognised word; times in seconds from the start of the recording.</summary>
/// <param name="Confidence">Calibrated (<see cref="TranscriptionOptions.Calibrate"/>) mean over the word's characters of each
/// character's peak posterior, or with <see cref="WordConfidenceMethod.BeamPosterior"/> the word's posterior against the beam's
/// competing hypotheses (see docs/inference.md, "Word confidence").</param>
internal sealed record DecodedWord(string Text, double Start, double End, double Confidence);

/// <summary>
/// Decodes character CTC log-probabilities region by region (as the stitcher emits them) into words, keeping memory flat:
/// each region is beam-searched and aligned, the words that are certainly finished are committed, and only the frames of
/// an unfinished last word are carried into the next region and decoded again together with it. A word that straddles a
/// region boundary is therefore decoded once, from contiguous frames. With a language model, each decode starts from the LM
/// context of the words committed so far (their last characters and a word boundary), so the carried word is scored in the
/// same context as if the recording had been decoded in one piece.
/// </summary>
internal sealed class StreamingWordDecoder
{
    private readonly IReadOnlyList<string> _chars;
    private readonly double _frameShift;
    private readonly CtcPrefixBeamSearch _search;
    private readonly TranscriptionOptions _options;
    private readonly int _vocab;
    private readonly int _space;
    private readonly List<DecodedWord> _words = [];
    private float[] _buffer;
    private int _bufferedFrames;
    private long _bufferStart; // global CTC frame of buffer row 0

    private readonly BeamTrace? _trace;
    private readonly int _confidenceDelayFrames;
    private readonly Action<DecodedWord>? _onWord;
    private string _committedTail = ""; // last characters of the committed words: the LM context of the next decode

    public StreamingWordDecoder(IReadOnlyList<string> chars, double ctcFrameShift, int beamWidth, TranscriptionOptions? options = null,
        Action<DecodedWord>? onWord = null, ICtcPrefixScorer? languageModel = null)
    {
        _onWord = onWord;
        _chars = chars;
        _vocab = chars.Count;
        _space = IndexOf(chars, " ");
        _frameShift = ctcFrameShift;
        _options = options ?? new TranscriptionOptions();
        _search = new CtcPrefixBeamSearch(beamWidth, _options.BeamPruneLogRatio, languageModel);
        _trace = beamWidth > 1 && _options.ConfidenceMethod == WordConfidenceMethod.BeamPosterior ? new BeamTrace() : null;
        _confidenceDelayFrames = (int)Math.Round(_options.ConfidenceDelaySeconds / ctcFrameShift);
        _buffer = new float[_vocab * 1024];
    }

    public IReadOnlyList<DecodedWord> Words => _words;

    /// <summary>Frames currently held back (an unfinished word); bounded by <see cref="TranscriptionOptions.MaxCarrySeconds"/> plus one region.</summary>
    public int CarriedFrames => _bufferedFrames;

    /// <summary>Decodes the next contiguous region of [frames, vocab] log-probabilities.</summary>
    /// <param name="isLast">True for the last region of the recording: everything is committed.</param>
    public void Push(ReadOnlySpan<float> logProbs, int frames, bool isLast)
    {
        if (logProbs.Length < frames * _vocab) throw new ArgumentException("Region is shorter than frames x vocab.", nameof(logProbs));
        Append(logProbs[..(frames * _vocab)], frames);
        var span = _buffer.AsSpan(0, _bufferedFrames * _vocab);
        var tokens = _search.Decode(span, _bufferedFrames, _vocab, _committedTail, _trace);
        var aligned = CtcAligner.Align(span, _bufferedFrames, _vocab, tokens);

        var carryFrom = CommitPoint(aligned, isLast, out var commitTokens);
        EmitWords(aligned.AsSpan(0, commitTokens));
        if (carryFrom >= _bufferedFrames)
        {
            _bufferStart += _bufferedFrames;
            _bufferedFrames = 0;
        }
        else
        {
            Array.Copy(_buffer, carryFrom * _vocab, _buffer, 0, (_bufferedFrames - carryFrom) * _vocab);
            _bufferStart += carryFrom;
            _bufferedFrames -= carryFrom;
        }
    }

    /// <summary>How many tokens are final and the first buffer frame to decode again with the next region.</summary>
    private int CommitPoint(AlignedToken[] aligned, bool isLast, out int commitTokens)
    {
        commitTokens = aligned.Length;
        if (isLast || aligned.Length == 0) return _bufferedFrames;
        var lastToken = aligned[^1];
        if (lastToken.Token == _space) return lastToken.LastFrame + 1;
        var gapSeconds = (_bufferedFrames - 1 - lastToken.LastFrame) * _frameShift;
        if (gapSeconds >= _options.WordGapSeconds) return _bufferedFrames;

        // The last word may continue in the next region: hold back its frames (from just after the previous label).
        var firstOfWord = aligned.Length - 1;
        while (firstOfWord > 0 && aligned[firstOfWord - 1].Token != _space) firstOfWord--;
        var carryFrom = firstOfWord > 0 ? aligned[firstOfWord - 1].LastFrame + 1 : 0;
        if ((_bufferedFrames - carryFrom) * _frameShift > _options.MaxCarrySeconds) return _bufferedFrames;
        commitTokens = firstOfWord;
        return carryFrom;
    }

    private void EmitWords(ReadOnlySpan<AlignedToken> tokens)
    {
        var text = new System.Text.StringBuilder();
        int first = -1, last = -1, firstLabel = -1, lastLabel = -1; double confidenceSum = 0; var count = 0;
        void Flush()
        {
            if (text.Length > 0)
            {
                // The beam is read a little after the word's last character: by then the hypotheses that spell it differently
                // (or end it elsewhere) have had their frames, and the next word has not yet pruned them away.
                var confidence = _options.Calibrate(
                    _trace?.WordPosterior(firstLabel, lastLabel, last + _confidenceDelayFrames, _options.ConfidenceScale) ?? confidenceSum / count);
                var word = new DecodedWord(text.ToString(), (_bufferStart + first) * _frameShift, (_bufferStart + last + 1) * _frameShift, confidence);
                _words.Add(word);
                _onWord?.Invoke(word);
                var tail = _committedTail.Length == 0 ? word.Text : _committedTail + " " + word.Text;
                _committedTail = tail.Length > 64 ? tail[^64..] : tail; // enough for the word LM's 3 words of context
            }
            text.Clear(); first = -1; firstLabel = -1; confidenceSum = 0; count = 0;
        }
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            if (t.Token == _space) { Flush(); continue; }
            var symbol = _chars[t.Token];
            if (symbol.Length > 1 && symbol[0] == '<') continue; // special symbols such as <unk> carry no text
            // A long silence also ends a word, in case the model skipped the space.
            if (first >= 0 && (t.FirstFrame - last - 1) * _frameShift >= _options.WordGapSeconds) Flush();
            if (first < 0) { first = t.FirstFrame; firstLabel = i; }
            last = t.LastFrame;
            lastLabel = i;
            text.Append(symbol);
            confidenceSum += t.Peak;
            count++;
        }
        Flush();
    }

    private void Append(ReadOnlySpan<float> rows, int frames)
    {
        var needed = (_bufferedFrames + frames) * _vocab;
        if (_buffer.Length < needed) Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        rows.CopyTo(_buffer.AsSpan(_bufferedFrames * _vocab));
        _bufferedFrames += frames;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
