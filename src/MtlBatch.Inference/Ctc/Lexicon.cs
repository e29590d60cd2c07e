using System.Globalization;
using System.Text;

namespace MtlBatch.Inference.Ctc;

/// <summary>A custom vocabulary entry: a word or a phrase (words separated by spaces) and its score bonus.</summary>
public sealed record VocabularyEntry(string Phrase, double Boost);

/// <summary>Custom vocabulary files: one word or phrase per line, optionally followed by a boost (a number); <c>#</c> starts a comment.</summary>
internal static class CustomVocabulary
{
    /// <summary>Parses lines; entries are normalised to lower-case a-z and apostrophes (other characters separate words).</summary>
    public static IReadOnlyList<VocabularyEntry> Parse(IEnumerable<string> lines, double defaultBoost)
    {
        var entries = new List<VocabularyEntry>();
        foreach (var raw in lines)
        {
            var line = raw;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0) line = line[..hash];
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            var boost = defaultBoost;
            if (parts.Length > 1 && double.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
            {
                if (!double.IsFinite(b)) throw new FormatException($"Vocabulary boost must be a finite number: {raw}");
                boost = b;
                parts = parts[..^1];
            }
            var phrase = Lexicon.NormalizePhrase(string.Join(' ', parts));
            if (phrase.Length > 0) entries.Add(new VocabularyEntry(phrase, boost));
        }
        return entries;
    }

    public static IReadOnlyList<VocabularyEntry> Read(string path, double defaultBoost) => Parse(File.ReadLines(path), defaultBoost);
}

/// <summary>
/// The decoder's vocabulary as a character trie (letters and apostrophe; node 0 is the root), each word-final node naming
/// its word, plus the custom vocabulary's phrases as a trie over word indices with a boost at each phrase end.
/// Read-only after <see cref="Build"/>: shared by concurrent decoders.
/// </summary>
/// <remarks>
/// Nodes are numbered in depth-first order while the sorted words are inserted, so a node's children have higher numbers
/// than the node itself (lookahead scores are computed in one backwards pass) and its children form a sorted sibling list.
/// </remarks>
internal sealed class Lexicon
{
    /// <summary>Symbols of the trie: apostrophe then a-z (symbol = index).</summary>
    public const string Letters = "'abcdefghijklmnopqrstuvwxyz";

    private readonly int[] _firstChild;
    private readonly int[] _nextSibling;
    private readonly byte[] _label;
    private readonly int[] _parent;
    private readonly int[] _wordOfNode;
    private readonly string[] _words;
    private readonly int[] _lmIdOfWord;
    private readonly double[] _singleWordBoost;
    private readonly Dictionary<long, int> _phraseEdges;
    private readonly double[] _phraseBoost;

    private Lexicon(int[] firstChild, int[] nextSibling, byte[] label, int[] parent, int[] wordOfNode, string[] words, int[] lmIdOfWord,
        double[] singleWordBoost, Dictionary<long, int> phraseEdges, double[] phraseBoost)
    {
        _firstChild = firstChild; _nextSibling = nextSibling; _label = label; _parent = parent; _wordOfNode = wordOfNode;
        _words = words; _lmIdOfWord = lmIdOfWord; _singleWordBoost = singleWordBoost; _phraseEdges = phraseEdges; _phraseBoost = phraseBoost;
    }

    public int NodeCount => _label.Length;
    public int WordCount => _words.Length;
    public int PhraseCount { get; private init; }

    /// <summary>Symbol of a character in the trie, or -1.</summary>
    public static int SymbolOf(char c) => Letters.IndexOf(c, StringComparison.Ordinal);

    /// <summary>Lower-case a-z and apostrophes, single spaces between words; apostrophes at word edges dropped (as transcripts are scored).</summary>
    public static string NormalizePhrase(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            var c = raw is '\u2019' or '\u2018' ? '\'' : char.ToLowerInvariant(raw);
            sb.Append(c is >= 'a' and <= 'z' or '\'' ? c : ' ');
        }
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('\'')).Where(w => w.Length > 0));
    }

    /// <summary>The child of <paramref name="node"/> by <paramref name="symbol"/>, or -1.</summary>
    public int Child(int node, int symbol)
    {
        for (var c = _firstChild[node]; c >= 0; c = _nextSibling[c])
        {
            if (_label[c] == symbol) return c;
            if (_label[c] > symbol) break; // siblings are sorted
        }
        return -1;
    }

    /// <summary>The word ending at <paramref name="node"/> (an index into the lexicon's words), or -1.</summary>
    public int WordAt(int node) => _wordOfNode[node];

    public string WordText(int word) => _words[word];

    /// <summary>The word LM's id of a lexicon word (<see cref="WordNgramLm.Unknown"/> when the LM does not know it).</summary>
    public int LmIdOf(int word) => _lmIdOfWord[word];

    /// <summary>The node reached by spelling <paramref name="word"/>, or -1.</summary>
    public int Find(string word)
    {
        var node = 0;
        foreach (var c in word)
        {
            var s = SymbolOf(c);
            node = s < 0 ? -1 : Child(node, s);
            if (node < 0) return -1;
        }
        return node;
    }

    /// <summary>
    /// Best score of any word below each node: <c>max(wordLmWeight · ln P_unigram(w) + single-word boost)</c>. Used as LM
    /// lookahead: a prefix is charged the drop of this bound as it grows, so the beam does not keep letters no likely word continues.
    /// </summary>
    public float[] Lookahead(WordNgramLm? lm, double wordLmWeight)
    {
        var bound = new float[NodeCount];
        Array.Fill(bound, float.NegativeInfinity);
        const ulong unigram = 0; // the empty context: the unigram distribution
        for (var node = NodeCount - 1; node >= 0; node--)
        {
            if (_wordOfNode[node] is var w and >= 0)
            {
                var score = (lm is null ? 0 : wordLmWeight * lm.LogProb(unigram, _lmIdOfWord[w])) + _singleWordBoost[w];
                bound[node] = Math.Max(bound[node], (float)score);
            }
            if (node > 0) bound[_parent[node]] = Math.Max(bound[_parent[node]], bound[node]);
        }
        return bound;
    }

    /// <summary>
    /// Moves the phrase state on by a finished lexicon word (<paramref name="word"/> = -1 for an out-of-vocabulary word)
    /// and returns the boost earned: a phrase's boost is paid when its last word is finished.
    /// </summary>
    public double AdvancePhrase(int phraseNode, int word, out int next)
    {
        next = 0;
        if (word < 0 || _phraseEdges.Count == 0) return 0;
        if (!_phraseEdges.TryGetValue((long)phraseNode << 32 | (uint)word, out next) && !_phraseEdges.TryGetValue((uint)word, out next)) next = 0;
        return _phraseBoost[next];
    }

    /// <summary>
    /// Builds the lexicon: the word LM's words, <paramref name="extraWords"/> (e.g. a pronunciation dictionary) and the words
    /// of the custom <paramref name="vocabulary"/>, whose phrases get their boost. Words with characters other than a-z and
    /// apostrophe are skipped.
    /// </summary>
    public static Lexicon Build(WordNgramLm? lm, IEnumerable<string> extraWords, IReadOnlyList<VocabularyEntry>? vocabulary = null)
    {
        vocabulary ??= [];
        var set = new SortedSet<string>(StringComparer.Ordinal);
        void Add(string w)
        {
            if (w.Length > 0 && w.All(c => SymbolOf(c) >= 0)) set.Add(w);
        }
        if (lm is not null) foreach (var w in lm.Words) Add(w);
        foreach (var w in extraWords) Add(w);
        foreach (var e in vocabulary) foreach (var w in e.Phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries)) Add(w);

        var words = set.ToArray();
        var firstChild = new List<int> { -1 };
        var nextSibling = new List<int> { -1 };
        var lastChild = new List<int> { -1 };
        var label = new List<byte> { 0 };
        var parent = new List<int> { -1 };
        var wordOfNode = new List<int> { -1 };
        for (var i = 0; i < words.Length; i++)
        {
            var node = 0;
            foreach (var c in words[i])
            {
                var symbol = (byte)SymbolOf(c);
                // Sorted input: a matching child can only be the one added last.
                var last = lastChild[node];
                if (last >= 0 && label[last] == symbol) { node = last; continue; }
                var created = label.Count;
                firstChild.Add(-1); nextSibling.Add(-1); lastChild.Add(-1); label.Add(symbol); parent.Add(node); wordOfNode.Add(-1);
                if (last >= 0) nextSibling[last] = created; else firstChild[node] = created;
                lastChild[node] = created;
                node = created;
            }
            wordOfNode[node] = i;
        }

        var index = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (var i = 0; i < words.Length; i++) index[words[i]] = i;
        var lmIds = words.Select(w => lm?.IdOf(w) ?? WordNgramLm.Unknown).ToArray();
        var singleBoost = new double[words.Length];
        var edges = new Dictionary<long, int>();
        var phraseBoost = new List<double> { 0 };
        foreach (var e in vocabulary)
        {
            var node = 0;
            foreach (var w in e.Phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var key = (long)node << 32 | (uint)index[w];
                if (!edges.TryGetValue(key, out var child)) { edges[key] = child = phraseBoost.Count; phraseBoost.Add(0); }
                node = child;
            }
            phraseBoost[node] = Math.Max(phraseBoost[node], e.Boost);
            if (!e.Phrase.Contains(' ', StringComparison.Ordinal)) singleBoost[index[e.Phrase]] = Math.Max(singleBoost[index[e.Phrase]], e.Boost);
        }
        return new Lexicon([.. firstChild], [.. nextSibling], [.. label], [.. parent], [.. wordOfNode], words, lmIds, singleBoost, edges, [.. phraseBoost])
        {
            PhraseCount = vocabulary.Count,
        };
    }
}
