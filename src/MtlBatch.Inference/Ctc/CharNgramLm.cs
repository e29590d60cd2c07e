using System.IO.Compression;
using System.Text;

namespace MtlBatch.Inference.Ctc;

/// <summary>How <see cref="CharNgramLm.Build"/> counts and prunes.</summary>
internal sealed class CharNgramLmBuildOptions
{
    /// <summary>N: a character is predicted from the N-1 characters before it (6 ≈ a word and a half of context).</summary>
    public int Order { get; set; } = 6;
    /// <summary>
    /// N-grams of order 3 and above seen fewer times than this are dropped (their mass goes to the shorter context).
    /// Unigrams and bigrams are always kept. 2 removes the long tail of singletons, which is most of a character model's size.
    /// </summary>
    public int MinCount { get; set; } = 2;
    /// <summary>Free text stored in the file (where the text came from).</summary>
    public string Description { get; set; } = "";
}

/// <summary>
/// Character n-gram language model over <see cref="Alphabet"/> (space, apostrophe, a-z) with sentence start/end markers,
/// smoothed by interpolated Witten-Bell:
/// <c>P(c|h) = (C_kept(h c) + B(h) · P(c|h')) / D(h)</c>, where h' is h without its oldest character,
/// <c>D(h) = C(h) + N1+(h •)</c> (count of h plus the number of distinct characters seen after it) and
/// <c>B(h) = D(h) − Σ C_kept(h •)</c> = N1+(h •) plus the counts removed by pruning, so every distribution sums to 1 even
/// after pruning. The recursion ends in the uniform distribution over the <see cref="PredictedSymbols"/> symbols; a context
/// that was never seen (or whose n-grams were all pruned) simply backs off. Witten-Bell rather than Kneser-Ney: with 29
/// symbols nearly every context sees many distinct followers, where the two differ little, and Witten-Bell needs no
/// discount estimation and keeps normalised under count pruning without extra bookkeeping.
/// </summary>
/// <remarks>
/// A context is a <see cref="ulong"/> state: up to N-1 symbols of 5 bits, the newest in the lowest bits. Symbols are never 0,
/// so the packing also encodes the context's length. Read-only after construction, so one instance can be shared by any
/// number of concurrent decoders.
/// </remarks>
internal sealed class CharNgramLm
{
    public const string Alphabet = " 'abcdefghijklmnopqrstuvwxyz";
    public const int SentenceStart = 1;
    public const int SentenceEnd = 2;
    private const int FirstChar = 3;
    private const int Bits = 5;
    /// <summary>Symbols a distribution is over: the characters of <see cref="Alphabet"/> and the sentence end.</summary>
    public const int PredictedSymbols = 29;
    private const int MaxOrder = 12; // 11 context symbols x 5 bits fit in 64 bits (and the n-gram key adds one more)

    private static readonly byte[] Magic = "MTLCHARLM"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly Dictionary<ulong, (float Denominator, float Backoff)> _contexts;
    private readonly Dictionary<ulong, float> _ngrams; // key: context << 5 | symbol
    private readonly ulong _contextMask;

    private CharNgramLm(int order, string description, Dictionary<ulong, (float, float)> contexts, Dictionary<ulong, float> ngrams)
    {
        if (order is < 1 or > MaxOrder) throw new InvalidDataException($"Order {order} is outside 1..{MaxOrder}.");
        Order = order;
        Description = description;
        _contexts = contexts;
        _ngrams = ngrams;
        _contextMask = order == 1 ? 0 : (1UL << (Bits * (order - 1))) - 1;
    }

    public int Order { get; }
    public string Description { get; }
    public int ContextCount => _contexts.Count;
    public int NgramCount => _ngrams.Count;

    /// <summary>The symbol of a character, or -1 when it is not in <see cref="Alphabet"/>.</summary>
    public static int SymbolOf(char c)
    {
        var i = Alphabet.IndexOf(c, StringComparison.Ordinal);
        return i < 0 ? -1 : FirstChar + i;
    }

    /// <summary>The state at the start of a sentence.</summary>
    public ulong Start => Advance(0, SentenceStart);

    /// <summary>The state after <paramref name="symbol"/> was seen in <paramref name="state"/>: only the last N-1 symbols are kept.</summary>
    public ulong Advance(ulong state, int symbol) => ((state << Bits) | (uint)symbol) & _contextMask;

    /// <summary>The state after the characters of <paramref name="text"/> from the start of a sentence (characters outside the alphabet are skipped).</summary>
    public ulong StateAfter(string text)
    {
        var state = Start;
        foreach (var c in text)
            if (SymbolOf(c) is var s and > 0) state = Advance(state, s);
        return state;
    }

    /// <summary>The newest symbol of a state (0 for the empty state).</summary>
    public static int LastSymbol(ulong state) => (int)(state & ((1UL << Bits) - 1));

    public double LogProb(ulong state, int symbol) => Math.Log(Probability(state, symbol));

    public double LogProb(ulong state, char c) =>
        SymbolOf(c) is var s and > 0 ? LogProb(state, s) : throw new ArgumentOutOfRangeException(nameof(c), c, "not in the alphabet");

    public double Probability(ulong state, int symbol)
    {
        if (symbol < SentenceEnd || symbol >= FirstChar + Alphabet.Length) throw new ArgumentOutOfRangeException(nameof(symbol));
        double p = 1.0 / PredictedSymbols;
        for (var k = 0; k < Order; k++)
        {
            if (k > 0 && state >> (Bits * (k - 1)) == 0) break; // the state is shorter than k symbols
            var context = k == 0 ? 0 : state & ((1UL << (Bits * k)) - 1);
            if (!_contexts.TryGetValue(context, out var stats)) continue; // unseen context: P(c|h) = P(c|h')
            var count = _ngrams.GetValueOrDefault((context << Bits) | (uint)symbol);
            p = (count + stats.Backoff * p) / stats.Denominator;
        }
        return p;
    }

    /// <summary>Counts n-grams over the sentences (lower-case text; a sentence with a character outside the alphabet is skipped).</summary>
    public static CharNgramLm Build(IEnumerable<string> sentences, CharNgramLmBuildOptions? options = null)
    {
        options ??= new CharNgramLmBuildOptions();
        var order = options.Order;
        if (order is < 1 or > MaxOrder) throw new ArgumentOutOfRangeException(nameof(options), order, $"Order must be in 1..{MaxOrder}.");
        var counts = new Dictionary<ulong, int>();
        var symbols = new List<int>(128);
        foreach (var raw in sentences)
        {
            var sentence = Normalize(raw);
            if (sentence is null) continue;
            symbols.Clear();
            symbols.Add(SentenceStart);
            foreach (var c in sentence) symbols.Add(SymbolOf(c));
            symbols.Add(SentenceEnd);
            for (var i = 1; i < symbols.Count; i++)
            {
                ulong context = 0;
                for (var k = 0; k < order && i - k >= 0; k++)
                {
                    if (k > 0) context |= (ulong)symbols[i - k] << (Bits * (k - 1));
                    var key = (context << Bits) | (uint)symbols[i];
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
            }
        }

        // Per context: total count and distinct followers over all n-grams; kept count after pruning.
        var stats = new Dictionary<ulong, (long Total, int Distinct, long Kept)>();
        var kept = new Dictionary<ulong, float>();
        foreach (var (key, count) in counts)
        {
            var context = key >> Bits;
            var keep = ContextLength(context) < 2 || count >= options.MinCount;
            var s = stats.GetValueOrDefault(context);
            stats[context] = (s.Total + count, s.Distinct + 1, s.Kept + (keep ? count : 0));
            if (keep) kept[key] = count;
        }
        var contexts = new Dictionary<ulong, (float, float)>();
        foreach (var (context, s) in stats)
        {
            if (s.Kept == 0) continue; // nothing left: the context backs off completely, which is what absence means
            var denominator = s.Total + s.Distinct;
            contexts[context] = (denominator, denominator - s.Kept);
        }
        return new CharNgramLm(order, options.Description, contexts, kept);
    }

    /// <summary>Lower-cased, whitespace collapsed; null when empty or when a character is outside the alphabet.</summary>
    public static string? Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text.Trim())
        {
            var c = char.IsWhiteSpace(raw) ? ' ' : char.ToLowerInvariant(raw);
            if (SymbolOf(c) < 0) return null;
            if (c == ' ' && sb.Length > 0 && sb[^1] == ' ') continue;
            sb.Append(c);
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    private static int ContextLength(ulong context)
    {
        var n = 0;
        for (; context != 0; context >>= Bits) n++;
        return n;
    }

    /// <summary>
    /// Format (gzip): magic "MTLCHARLM", int32 version (1), int32 order, string alphabet, string description,
    /// int32 contexts × (uint64 context, float32 denominator, float32 backoff), int32 n-grams × (uint64 key, float32 count).
    /// Little-endian, strings as <see cref="BinaryWriter"/> writes them. Entries are sorted by key, so equal models give equal files.
    /// </summary>
    public void Save(Stream stream) => LmFile.WriteCompressed(stream, Magic, FormatVersion, w =>
    {
        w.Write(Order);
        w.Write(Alphabet);
        w.Write(Description);
        w.Write(_contexts.Count);
        foreach (var (key, (d, b)) in _contexts.OrderBy(kv => kv.Key)) { w.Write(key); w.Write(d); w.Write(b); }
        w.Write(_ngrams.Count);
        foreach (var (key, count) in _ngrams.OrderBy(kv => kv.Key)) { w.Write(key); w.Write(count); }
    });

    public void Save(string path) => LmFile.SaveAtomically(path, Save);

    public static CharNgramLm Load(string path) => LmFile.Load(path, Load);

    public static CharNgramLm Load(Stream stream)
    {
        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        using var r = new BinaryReader(gzip, Encoding.UTF8, leaveOpen: true);
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("Not a character LM file (bad magic).");
        var version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"Character LM format version {version} is not supported (expected {FormatVersion}).");
        var order = r.ReadInt32();
        var alphabet = r.ReadString();
        if (alphabet != Alphabet) throw new InvalidDataException($"Character LM alphabet \"{alphabet}\" differs from \"{Alphabet}\".");
        var description = r.ReadString();
        var contextCount = r.ReadInt32();
        var contexts = new Dictionary<ulong, (float, float)>(contextCount);
        for (var i = 0; i < contextCount; i++) contexts[r.ReadUInt64()] = (r.ReadSingle(), r.ReadSingle());
        var ngramCount = r.ReadInt32();
        var ngrams = new Dictionary<ulong, float>(ngramCount);
        for (var i = 0; i < ngramCount; i++) ngrams[r.ReadUInt64()] = r.ReadSingle();
        return new CharNgramLm(order, description, contexts, ngrams);
    }

    /// <summary>Where the LM of a model lives: next to it, same name, extension <c>.charlm</c>.</summary>
    public static string SiblingPath(string modelPath) => Path.ChangeExtension(modelPath, ".charlm");
}
