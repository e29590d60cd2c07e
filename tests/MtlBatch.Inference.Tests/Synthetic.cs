namespace MtlBatch.Inference.Tests;

/// <summary>Builds synthetic CTC posteriors: mostly blank, with single-frame letter emissions where words are placed.</summary>
internal static class Synthetic
{
    public static readonly string[] Chars = ["<blank>", " ", "'", .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())];
    public const int Space = 1;

    public static int Token(char c) => c == ' ' ? Space : c == '\'' ? 2 : 3 + (c - 'a');

    /// <summary>A word placed at CTC frames: character i is emitted at StartFrame + i * Stride.</summary>
    public sealed record PlacedWord(string Text, int StartFrame, int Stride = 3)
    {
        public int LastFrame => StartFrame + (Text.Length - 1) * Stride;
    }

    /// <summary>Token emitted at each CTC frame (0 = blank) for words, with a space emission halfway between words when asked.</summary>
    public static int[] Emissions(int frames, IEnumerable<PlacedWord> words, bool spaces = true)
    {
        var tokens = new int[frames];
        PlacedWord? previous = null;
        foreach (var w in words.OrderBy(w => w.StartFrame))
        {
            for (var i = 0; i < w.Text.Length; i++) tokens[w.StartFrame + i * w.Stride] = Token(w.Text[i]);
            if (spaces && previous is not null) tokens[(previous.LastFrame + w.StartFrame) / 2] = Space;
            previous = w;
        }
        return tokens;
    }

    /// <summary>Log-probability row: the token gets <paramref name="peak"/>, blank most of the rest, every other label a little.</summary>
    public static void Row(Span<float> row, int token, double peak = 0.9)
    {
        var vocab = row.Length;
        var floor = 1e-4;
        var main = token == 0 ? 1 - floor * (vocab - 1) : peak;
        var blank = token == 0 ? main : 1 - peak - floor * (vocab - 2);
        for (var v = 0; v < vocab; v++) row[v] = (float)Math.Log(floor);
        row[0] = (float)Math.Log(blank);
        if (token != 0) row[token] = (float)Math.Log(main);
    }

    public static float[] LogProbs(int[] emissions, int vocab, double peak = 0.9)
    {
        var result = new float[emissions.Length * vocab];
        for (var t = 0; t < emissions.Length; t++) Row(result.AsSpan(t * vocab, vocab), emissions[t], peak);
        return result;
    }
}
