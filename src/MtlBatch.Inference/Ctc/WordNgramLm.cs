using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace MtlBatch.Inference.Ctc;

/// <summary>How <see cref="WordNgramLm.Build"/> counts, smooths and prunes.</summary>
internal sealed class WordNgramLmBuildOptions
{
    /// <summary>N: a word is predicted from the N-1 words before it (1..<see cref="WordNgramLm.MaxOrder"/>).</summary>
    public int Order { get; set; } = 4;
    /// <summary>
    /// Count pruning, KenLM style: entry k-1 is the threshold of order k; n-grams of order k &gt;= 2 seen at most that many
    /// times are dropped (their probability mass goes to the backoff). Missing entries repeat the last one; thresholds must
    /// not decrease with the order, so every kept n-gram keeps its prefix and suffix. Unigrams are never pruned.
    /// </summary>
    public IReadOnlyList<int> Prune { get; set; } = [0];
    /// <summary>
    /// Fixed discounts D1, D2, D3+ for every order instead of the estimates from counts of counts (tests and tiny corpora,
    /// where the estimates are undefined). Null = estimate (Chen and Goodman 1998).
    /// </summary>
    public IReadOnlyList<double>? FixedDiscounts { get; set; }
    /// <summary>Words the decoder's lexicon should know besides the LM's own (e.g. a pronunciation dictionary); stored in the file.</summary>
    public IEnumerable<string> ExtraLexiconWords { get; set; } = [];
    /// <summary>Free text stored in the file (where the text came from).</summary>
    public string Description { get; set; } = "";
}

/// <summary>
/// Word n-gram language model with interpolated modified Kneser-Ney smoothing (Chen and Goodman 1998), stored in backoff
/// (ARPA) form: a kept n-gram h w has its interpolated probability; any other word backs off,
/// <c>P(w|h) = b(h) · P(w|h')</c>, with h' = h without its oldest word. After count pruning the backoff weights are
/// recomputed as <c>b(h) = (1 − Σ_kept P(w|h)) / (1 − Σ_kept P(w|h'))</c>, so every distribution still sums to 1 over the
/// vocabulary (words, <c>&lt;/s&gt;</c> and <c>&lt;unk&gt;</c>; tested). Without pruning b(h) equals the interpolation weight.
/// </summary>
/// <remarks>
/// Storage is a sorted trie of arrays per order (SRILM/KenLM style): entry i of order k has its word id, natural-log
/// probability and (below the top order) backoff and the range of its children in order k+1, sorted by word id; unigram i is
/// word i. Lookups are binary searches in a child range. Loading reads the arrays as blocks (no per-entry objects). A decoder
/// state is a <see cref="ulong"/>: up to N-1 word ids + 1 of 21 bits, the newest in the lowest bits (0 = no word). Read-only
/// after construction: one instance can be shared by concurrent decoders.
/// </remarks>
internal sealed class WordNgramLm
{
    public const int MaxOrder = 4;
    public const int Unknown = 0;
    public const int SentenceStart = 1;
    public const int SentenceEnd = 2;
    public const string UnknownToken = "<unk>";
    public const string SentenceStartToken = "<s>";
    public const string SentenceEndToken = "</s>";
    private const int Bits = 21;
    private const ulong WordMask = (1UL << Bits) - 1;
    private const float NoProbability = -99f * 2.302585f; // what ARPA writes for <s> (log10 -99)

    private static readonly byte[] Magic = "MTLWORDLM"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly string[] _words;
    private readonly Dictionary<string, int> _ids;
    private readonly Level[] _levels;
    private readonly ulong _stateMask;

    /// <summary>One order of the trie; <see cref="ChildStart"/> has Count+1 entries below the top order, none at the top.</summary>
    private sealed record Level(int[] Word, float[] LogProb, float[] Backoff, int[] ChildStart)
    {
        public int Count => Word.Length;
    }

    private WordNgramLm(int order, string description, string[] words, Level[] levels, string[] extraLexiconWords)
    {
        Order = order;
        Description = description;
        _words = words;
        _levels = levels;
        ExtraLexiconWords = extraLexiconWords;
        _ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (var i = 0; i < words.Length; i++) _ids[words[i]] = i;
        _stateMask = order == 1 ? 0 : (1UL << (Bits * (order - 1))) - 1;
    }

    public int Order { get; }
    public string Description { get; }
    /// <summary>Vocabulary size, <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c> included.</summary>
    public int VocabularySize => _words.Length;
    /// <summary>Words for the decoder's lexicon that the LM itself does not have (scored as <c>&lt;unk&gt;</c>).</summary>
    public IReadOnlyList<string> ExtraLexiconWords { get; }
    /// <summary>Stored n-grams per order (index 0 = unigrams).</summary>
    public IReadOnlyList<int> NgramCounts => [.. _levels.Select(l => l.Count)];

    public string WordOf(int id) => _words[id];

    /// <summary>The id of a word; <see cref="Unknown"/> when the LM does not know it.</summary>
    public int IdOf(string word) => _ids.GetValueOrDefault(word, Unknown);

    /// <summary>Real words (not the three special tokens), in id order.</summary>
    public IEnumerable<string> Words => _words.Skip(3);

    /// <summary>The state at the start of a sentence.</summary>
    public ulong Start => Advance(0, SentenceStart);

    /// <summary>The state after <paramref name="word"/>: only the last N-1 words are kept.</summary>
    public ulong Advance(ulong state, int word) => ((state << Bits) | (uint)(word + 1)) & _stateMask;

    /// <summary>The state after the words of <paramref name="text"/> (space-separated) from the start of a sentence.</summary>
    public ulong StateAfter(string text)
    {
        var state = Start;
        foreach (var w in text.Split(' ', StringSplitOptions.RemoveEmptyEntries)) state = Advance(state, IdOf(w));
        return state;
    }

    /// <summary>Natural-log probability of <paramref name="word"/> after the context <paramref name="state"/>.</summary>
    public double LogProb(ulong state, int word)
    {
        if ((uint)word >= (uint)_words.Length) throw new ArgumentOutOfRangeException(nameof(word));
        Span<int> history = stackalloc int[MaxOrder]; // oldest first
        var length = 0;
        for (var k = Order - 2; k >= 0; k--)
        {
            var id = (int)((state >> (Bits * k)) & WordMask);
            if (id == 0) { length = 0; continue; } // an empty slot: only newer words count
            history[length++] = id - 1;
        }
        double backoff = 0;
        for (var start = 0; start < length; start++)
        {
            // Longest context first: history[start..length).
            var node = Find(history[start..length]);
            if (node < 0) continue; // unseen context: b = 1
            var child = FindChild(length - start, node, word);
            if (child >= 0) return backoff + _levels[length - start].LogProb[child];
            backoff += _levels[length - start - 1].Backoff[node];
        }
        return backoff + _levels[0].LogProb[word];
    }

    /// <summary>Probability of a word after a space-separated context (from the start of a sentence); for tests and tools.</summary>
    public double Probability(string context, string word) => Math.Exp(LogProb(StateAfter(context), IdOf(word)));

    /// <summary>Index of the n-gram <paramref name="ids"/> in its order's level, or -1.</summary>
    private int Find(ReadOnlySpan<int> ids)
    {
        var node = ids[0];
        for (var k = 1; k < ids.Length && node >= 0; k++) node = FindChild(k, node, ids[k]);
        return node;
    }

    /// <summary>The child of entry <paramref name="parent"/> of order <paramref name="parentOrder"/> with that word, or -1.</summary>
    private int FindChild(int parentOrder, int parent, int word)
    {
        if (parentOrder >= Order) return -1;
        var starts = _levels[parentOrder - 1].ChildStart;
        var index = Array.BinarySearch(_levels[parentOrder].Word, starts[parent], starts[parent + 1] - starts[parent], word);
        return index >= 0 ? index : -1;
    }

    // ---------------------------------------------------------------- building

    /// <summary>Counts, smooths and prunes over the sentences (space-separated words, already normalised).</summary>
    public static WordNgramLm Build(IEnumerable<string> sentences, WordNgramLmBuildOptions? options = null)
    {
        options ??= new WordNgramLmBuildOptions();
        var order = options.Order;
        if (order is < 1 or > MaxOrder) throw new ArgumentOutOfRangeException(nameof(options), order, $"Order must be in 1..{MaxOrder}.");
        var prune = PruneThresholds(options.Prune, order);

        // Pass 1: vocabulary (ordinal order after the three special tokens, so equal text gives equal ids), then counts.
        var tokenized = new List<string[]>();
        var vocabulary = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in sentences)
        {
            var words = s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            tokenized.Add(words);
            foreach (var w in words) vocabulary.Add(w);
        }
        vocabulary.ExceptWith([UnknownToken, SentenceStartToken, SentenceEndToken]);
        if (vocabulary.Count >= (1 << Bits) - 2) throw new InvalidOperationException($"Vocabulary of {vocabulary.Count} words is too large.");
        string[] vocabularyWords = [UnknownToken, SentenceStartToken, SentenceEndToken, .. vocabulary];
        var ids = new Dictionary<string, int>(vocabularyWords.Length, StringComparer.Ordinal);
        for (var i = 0; i < vocabularyWords.Length; i++) ids[vocabularyWords[i]] = i;

        var counts = new Dictionary<UInt128, int>[order];
        for (var k = 0; k < order; k++) counts[k] = [];
        var sentence = new List<int>();
        foreach (var words in tokenized)
        {
            sentence.Clear();
            sentence.Add(SentenceStart);
            foreach (var w in words) sentence.Add(ids[w]);
            sentence.Add(SentenceEnd);
            for (var i = 1; i < sentence.Count; i++)
            {
                UInt128 key = 0;
                for (var k = 0; k < order && i - k >= 0; k++)
                {
                    key |= (UInt128)(uint)sentence[i - k] << (Bits * k); // newest word in the lowest bits
                    ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(counts[k], key, out _);
                    c++;
                }
            }
        }
        tokenized.Clear();
        return FromCounts(order, vocabularyWords, counts, prune, options);
    }

    private static int[] PruneThresholds(IReadOnlyList<int> prune, int order)
    {
        var result = new int[order];
        for (var k = 1; k < order; k++)
        {
            result[k] = prune.Count == 0 ? 0 : prune[Math.Min(k, prune.Count - 1)];
            if (result[k] < 0) throw new ArgumentOutOfRangeException(nameof(prune), "Prune thresholds must be >= 0.");
            if (k > 1 && result[k] < result[k - 1])
                throw new ArgumentOutOfRangeException(nameof(prune), "Prune thresholds must not decrease with the order.");
        }
        if (prune.Count > 0 && prune[0] != 0) throw new ArgumentOutOfRangeException(nameof(prune), "Unigrams are never pruned: the first threshold must be 0.");
        return result;
    }

    /// <summary>Modified Kneser-Ney discounts D1, D2, D3+ from the counts of counts n1..n4 (Chen and Goodman 1998, eq. 26).</summary>
    public static double[] EstimateDiscounts(long n1, long n2, long n3, long n4)
    {
        if (n1 <= 0 || n2 <= 0 || n3 <= 0 || n4 <= 0) return [0.5, 1.0, 1.5];
        var y = n1 / (double)(n1 + 2 * n2);
        double[] d = [1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3];
        // Outside (0, i] the estimate is meaningless (tiny or unusual corpora): fall back to the common default.
        for (var i = 0; i < 3; i++) if (!(d[i] > 0 && d[i] <= i + 1)) d[i] = 0.5 * (i + 1);
        return d;
    }

    private static int WordAt(UInt128 key, int position) => (int)(uint)((key >> (Bits * position)) & WordMask);

    private static WordNgramLm FromCounts(int order, string[] words, Dictionary<UInt128, int>[] raw, int[] prune, WordNgramLmBuildOptions options)
    {
        // Kneser-Ney counts: the top order keeps raw counts; a lower-order n-gram counts the distinct words seen before it,
        // except an n-gram starting with <s>, which nothing can precede (it keeps its raw count).
        var adjusted = new Dictionary<UInt128, int>[order];
        adjusted[order - 1] = raw[order - 1];
        for (var k = 0; k < order - 1; k++)
        {
            var a = new Dictionary<UInt128, int>(raw[k].Count);
            foreach (var (key, count) in raw[k]) if (WordAt(key, k) == SentenceStart) a[key] = count;
            var mask = ((UInt128)1 << (Bits * (k + 1))) - 1;
            foreach (var key in raw[k + 1].Keys)
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(a, key & mask, out _);
                c++;
            }
            adjusted[k] = a;
        }

        var discounts = new double[order][];
        for (var k = 0; k < order; k++)
        {
            if (options.FixedDiscounts is { Count: 3 } fixedD) { discounts[k] = [.. fixedD]; continue; }
            long n1 = 0, n2 = 0, n3 = 0, n4 = 0;
            foreach (var c in adjusted[k].Values)
                switch (c) { case 1: n1++; break; case 2: n2++; break; case 3: n3++; break; case 4: n4++; break; }
            discounts[k] = EstimateDiscounts(n1, n2, n3, n4);
        }

        // Kept n-grams per order (by raw count), and per context: sum of adjusted counts and N1, N2, N3+ over all followers.
        var keptKeys = new List<UInt128>[order];
        for (var k = 0; k < order; k++)
        {
            keptKeys[k] = [.. raw[k].Where(kv => k == 0 || kv.Value > prune[k]).Select(kv => kv.Key)];
            keptKeys[k].Sort();
        }
        // Unigrams: every word of the vocabulary (unseen <unk> gets only the interpolated uniform mass).
        var logProb = new Dictionary<UInt128, double>[order];
        for (var k = 0; k < order; k++) logProb[k] = new Dictionary<UInt128, double>(keptKeys[k].Count);

        var vocabularySize = words.Length - 1; // predicted: every word but <s>
        {
            var d = discounts[0];
            double total = 0, gammaMass = 0;
            foreach (var (key, a) in adjusted[0]) { if (WordAt(key, 0) == SentenceStart) continue; total += a; gammaMass += d[Math.Min(a, 3) - 1]; }
            for (var w = 0; w < words.Length; w++)
            {
                if (w == SentenceStart) { logProb[0][(UInt128)(uint)w] = NoProbability; continue; }
                var a = adjusted[0].GetValueOrDefault((UInt128)(uint)w);
                var p = total == 0 ? 1.0 / vocabularySize : (Math.Max(a - (a > 0 ? d[Math.Min(a, 3) - 1] : 0), 0) + gammaMass / vocabularySize) / total;
                logProb[0][(UInt128)(uint)w] = Math.Log(p);
            }
        }
        for (var k = 1; k < order; k++)
        {
            var d = discounts[k];
            var contextMaskShift = Bits; // context = key >> Bits (drops the newest word)
            var contextStats = new Dictionary<UInt128, (double Total, double Gamma)>();
            foreach (var (key, a) in adjusted[k])
            {
                ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(contextStats, key >> contextMaskShift, out _);
                s = (s.Total + a, s.Gamma + d[Math.Min(a, 3) - 1]);
            }
            var lowerMask = ((UInt128)1 << (Bits * k)) - 1; // the n-gram without its oldest word
            foreach (var key in keptKeys[k])
            {
                var a = adjusted[k][key];
                var (total, gamma) = contextStats[key >> contextMaskShift];
                var lower = Math.Exp(logProb[k - 1][key & lowerMask]);
                var p = (Math.Max(a - d[Math.Min(a, 3) - 1], 0) + gamma * lower) / total;
                logProb[k][key] = Math.Log(p);
            }
        }

        // Backoff weights that renormalise each kept context over what its kept children leave.
        var backoff = new Dictionary<UInt128, double>[order];
        for (var k = 0; k < order - 1; k++)
        {
            var numerator = new Dictionary<UInt128, (double Kept, double Lower)>();
            var lowerMask = ((UInt128)1 << (Bits * (k + 1))) - 1;
            foreach (var key in keptKeys[k + 1])
            {
                ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(numerator, key >> Bits, out _);
                s = (s.Kept + Math.Exp(logProb[k + 1][key]), s.Lower + Math.Exp(logProb[k][key & lowerMask]));
            }
            backoff[k] = new Dictionary<UInt128, double>(numerator.Count);
            foreach (var (context, (kept, lowerKept)) in numerator)
                backoff[k][context] = Math.Log(Math.Max(1 - kept, 1e-12) / Math.Max(1 - lowerKept, 1e-12));
        }

        var entries = new List<Entry>[order];
        for (var k = 0; k < order; k++)
        {
            entries[k] = new List<Entry>(keptKeys[k].Count);
            foreach (var key in keptKeys[k])
            {
                var ngram = new int[k + 1];
                for (var i = 0; i <= k; i++) ngram[i] = WordAt(key, k - i); // oldest first
                var bo = k < order - 1 ? backoff[k].GetValueOrDefault(key) : 0;
                entries[k].Add(new Entry(ngram, logProb[k][key], bo));
            }
            if (k == 0) // every vocabulary word has a unigram, including <unk> (never seen) and <s>
            {
                entries[0].Clear();
                for (var w = 0; w < words.Length; w++)
                    entries[0].Add(new Entry([w], logProb[0][(UInt128)(uint)w], order > 1 ? backoff[0].GetValueOrDefault((UInt128)(uint)w) : 0));
            }
        }
        var extra = new HashSet<string>(options.ExtraLexiconWords.Where(w => w.Length > 0), StringComparer.Ordinal);
        extra.ExceptWith(words);
        return FromEntries(order, options.Description, words, entries, [.. extra.Order(StringComparer.Ordinal)]);
    }

    /// <summary>One stored n-gram: word ids oldest first, natural-log probability and backoff.</summary>
    private sealed record Entry(int[] Ngram, double LogProb, double Backoff);

    /// <summary>Builds the trie arrays from stored n-grams (any order within a level; sorted here).</summary>
    private static WordNgramLm FromEntries(int order, string description, string[] words, List<Entry>[] entries, string[] extra)
    {
        var levels = new Level[order];
        var comparer = Comparer<Entry>.Create(static (a, b) =>
        {
            for (var i = 0; i < a.Ngram.Length; i++) { var c = a.Ngram[i].CompareTo(b.Ngram[i]); if (c != 0) return c; }
            return 0;
        });
        for (var k = 0; k < order; k++)
        {
            var list = entries[k];
            list.Sort(comparer);
            if (k == 0 && (list.Count != words.Length || list.Where((e, i) => e.Ngram[0] != i).Any()))
                throw new InvalidDataException("Every vocabulary word needs exactly one unigram.");
            levels[k] = new Level([.. list.Select(e => e.Ngram[k])], [.. list.Select(e => (float)e.LogProb)],
                k < order - 1 ? [.. list.Select(e => (float)e.Backoff)] : [], k < order - 1 ? new int[list.Count + 1] : []);
        }
        // Child ranges: level k+1 is sorted by its prefix, which is an entry of level k (kept n-grams keep their prefixes).
        var lm = new WordNgramLm(order, description, words, levels, extra);
        for (var k = 0; k < order - 1; k++)
        {
            var starts = levels[k].ChildStart;
            var child = 0;
            var next = entries[k + 1];
            for (var parent = 0; parent < levels[k].Count; parent++)
            {
                starts[parent] = child;
                while (child < next.Count && lm.Find(next[child].Ngram.AsSpan(0, k + 1)) == parent) child++;
            }
            starts[levels[k].Count] = child;
            if (child != next.Count) throw new InvalidDataException($"An n-gram of order {k + 2} has no stored prefix.");
        }
        return lm;
    }

    // ---------------------------------------------------------------- ARPA

    /// <summary>Writes the model as ARPA text (log10 probabilities and backoffs), readable by KenLM, SRILM and <see cref="ReadArpa"/>.</summary>
    public void WriteArpa(TextWriter writer)
    {
        const double ToLog10 = 1 / 2.302585092994046;
        writer.WriteLine("\\data\\");
        for (var k = 0; k < Order; k++) writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ngram {k + 1}={_levels[k].Count}"));
        var ngram = new int[Order];
        for (var k = 0; k < Order; k++)
        {
            writer.WriteLine();
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\\{k + 1}-grams:"));
            WriteLevel(0, 0, 0);

            void WriteLevel(int level, int from, int to)
            {
                var (lo, hi) = level == 0 ? (0, _levels[0].Count) : (from, to);
                for (var i = lo; i < hi; i++)
                {
                    ngram[level] = _levels[level].Word[i];
                    if (level < k)
                    {
                        var starts = _levels[level].ChildStart;
                        WriteLevel(level + 1, starts[i], starts[i + 1]);
                        continue;
                    }
                    var sb = new StringBuilder();
                    var lp = _levels[k].LogProb[i];
                    sb.Append((lp <= NoProbability + 1 ? -99 : lp * ToLog10).ToString("G7", CultureInfo.InvariantCulture));
                    sb.Append('\t');
                    for (var j = 0; j <= k; j++) { if (j > 0) sb.Append(' '); sb.Append(_words[ngram[j]]); }
                    if (k < Order - 1) sb.Append('\t').Append((_levels[k].Backoff[i] * ToLog10).ToString("G7", CultureInfo.InvariantCulture));
                    writer.WriteLine(sb.ToString());
                }
            }
        }
        writer.WriteLine();
        writer.WriteLine("\\end\\");
    }

    /// <summary>Reads ARPA text (as <see cref="WriteArpa"/> or KenLM's lmplz write it). Words missing a unigram are an error.</summary>
    public static WordNgramLm ReadArpa(TextReader reader, string description = "")
    {
        const double FromLog10 = 2.302585092994046;
        var declared = new List<int>();
        string? line;
        while ((line = reader.ReadLine()) is not null && line.Trim() != "\\data\\") { }
        while ((line = reader.ReadLine()) is not null && line.StartsWith("ngram ", StringComparison.Ordinal))
            declared.Add(int.Parse(line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));
        var order = declared.Count;
        if (order is < 1 or > MaxOrder) throw new InvalidDataException($"ARPA order {order} is outside 1..{MaxOrder}.");
        var raw = new List<(string[] Words, double LogProb, double Backoff)>[order];
        for (var k = 0; k < order; k++) raw[k] = new(declared[k]);
        var current = -1;
        while ((line = reader.ReadLine()) is not null)
        {
            var t = line.Trim();
            if (t.Length == 0) continue;
            if (t == "\\end\\") break;
            if (t.StartsWith('\\') && t.EndsWith("-grams:", StringComparison.Ordinal)) { current = int.Parse(t[1..t.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture) - 1; continue; }
            if (current < 0) throw new InvalidDataException($"ARPA line outside a section: {t}");
            var parts = t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var n = current + 1;
            if (parts.Length < n + 1) throw new InvalidDataException($"Short ARPA line: {t}");
            var lp = double.Parse(parts[0], CultureInfo.InvariantCulture);
            var bo = parts.Length > n + 1 ? double.Parse(parts[n + 1], CultureInfo.InvariantCulture) : 0;
            raw[current].Add((parts[1..(n + 1)], lp <= -99 ? NoProbability : lp * FromLog10, bo * FromLog10));
        }
        var vocabulary = new SortedSet<string>(raw[0].Select(e => e.Words[0]), StringComparer.Ordinal);
        vocabulary.ExceptWith([UnknownToken, SentenceStartToken, SentenceEndToken]);
        string[] words = [UnknownToken, SentenceStartToken, SentenceEndToken, .. vocabulary];
        var ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (var i = 0; i < words.Length; i++) ids[words[i]] = i;
        var entries = new List<Entry>[order];
        for (var k = 0; k < order; k++)
            entries[k] = [.. raw[k].Select(e => new Entry([.. e.Words.Select(w => ids.TryGetValue(w, out var id) ? id : throw new InvalidDataException($"Word \"{w}\" has no unigram."))], e.LogProb, e.Backoff))];
        // A model without <unk> (or <s>) gets the entry with no mass, so ids stay fixed.
        foreach (var special in new[] { UnknownToken, SentenceStartToken })
            if (!raw[0].Exists(e => e.Words[0] == special)) entries[0].Add(new Entry([ids[special]], NoProbability, 0));
        return FromEntries(order, description, words, entries, []);
    }

    // ---------------------------------------------------------------- binary file

    /// <summary>
    /// Format (gzip): magic "MTLWORDLM", int32 version (1), int32 order, string description, int32 words × string,
    /// int32 extra lexicon words × string, then per order: int32 count, int32[count] word ids, float32[count] log
    /// probabilities, and below the top order float32[count] backoffs and int32[count+1] child starts.
    /// Little-endian, strings as <see cref="BinaryWriter"/> writes them; deterministic for equal models.
    /// </summary>
    public void Save(Stream stream) => LmFile.WriteCompressed(stream, Magic, FormatVersion, w =>
    {
        w.Write(Order);
        w.Write(Description);
        w.Write(_words.Length);
        foreach (var word in _words) w.Write(word);
        w.Write(ExtraLexiconWords.Count);
        foreach (var word in ExtraLexiconWords) w.Write(word);
        foreach (var level in _levels)
        {
            w.Write(level.Count);
            w.Write(MemoryMarshal.AsBytes(level.Word.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(level.LogProb.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(level.Backoff.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(level.ChildStart.AsSpan()));
        }
    });

    public void Save(string path) => LmFile.SaveAtomically(path, Save);

    public static WordNgramLm Load(string path) => LmFile.Load(path, Load);

    public static WordNgramLm Load(Stream stream)
    {
        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        using var buffered = new BufferedStream(gzip, 1 << 16);
        using var r = new BinaryReader(buffered, Encoding.UTF8, leaveOpen: true);
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("Not a word LM file (bad magic).");
        var version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"Word LM format version {version} is not supported (expected {FormatVersion}).");
        var order = r.ReadInt32();
        if (order is < 1 or > MaxOrder) throw new InvalidDataException($"Order {order} is outside 1..{MaxOrder}.");
        var description = r.ReadString();
        var words = new string[r.ReadInt32()];
        for (var i = 0; i < words.Length; i++) words[i] = r.ReadString();
        var extra = new string[r.ReadInt32()];
        for (var i = 0; i < extra.Length; i++) extra[i] = r.ReadString();
        var levels = new Level[order];
        for (var k = 0; k < order; k++)
        {
            var count = r.ReadInt32();
            var top = k == order - 1;
            levels[k] = new Level(ReadArray<int>(buffered, count), ReadArray<float>(buffered, count),
                ReadArray<float>(buffered, top ? 0 : count), ReadArray<int>(buffered, top ? 0 : count + 1));
        }
        if (levels[0].Count != words.Length) throw new InvalidDataException("Unigram count differs from the vocabulary size.");
        return new WordNgramLm(order, description, words, levels, extra);
    }

    private static T[] ReadArray<T>(Stream stream, int count) where T : unmanaged
    {
        var array = new T[count];
        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    /// <summary>Where the word LM of a model lives: next to it, same name, extension <c>.wordlm</c>.</summary>
    public static string SiblingPath(string modelPath) => Path.ChangeExtension(modelPath, ".wordlm");
}
