using System.Text;
using System.Text.RegularExpressions;

namespace MtlBatch.Corpus;

/// <summary>
/// The sentence pool: call-centre and clinic dialogue generated from templates with a large slot vocabulary,
/// plus general English sentences from Debian's fortune databases (package <c>fortunes</c>). Deterministic for a seed.
/// Each sentence is assigned to the training or held-out pool by a hash of its text, so held-out sentences are
/// never trained on whatever the corpus size.
/// </summary>
public sealed partial class SentenceSource
{
    public const string FortuneFolder = "/usr/share/games/fortunes";
    private static readonly string[] FortuneFiles = ["fortunes", "literature", "wisdom", "work", "food", "education", "science",
        "humorists", "platitudes", "miscellaneous", "pets", "sports", "kids", "law", "medicine", "people", "computers", "love",
        "riddles", "magic", "pratchett", "tao", "goedel", "paradoxum", "cookie", "songs-poems", "definitions", "news", "zippy", "art"];

    public IReadOnlyList<string> Dialogue { get; }
    public IReadOnlyList<string> General { get; }

    public const string DictionaryFile = "/usr/share/dict/american-english";

    public SentenceSource(int seed, int dialogueCount = 12000, string fortuneFolder = FortuneFolder, string dictionaryFile = DictionaryFile)
    {
        Dialogue = DialogueTemplates.Generate(new Random(seed), dialogueCount);
        General = LoadFortunes(fortuneFolder, LoadDictionary(dictionaryFile));
    }

    /// <summary>
    /// Known English words (package <c>wamerican</c>). Fortune sentences with any other word are dropped: those are
    /// mostly abbreviations and names that synthesisers spell out letter by letter, which the text would not show.
    /// </summary>
    internal static HashSet<string>? LoadDictionary(string path) => File.Exists(path)
        ? File.ReadLines(path).Select(w => w.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal)
        : null;

    /// <summary>True when the sentence belongs to the held-out pool (about 12 % of sentences).</summary>
    public static bool IsHeldOut(string sentence)
    {
        // FNV-1a: stable across runs and platforms, unlike string.GetHashCode.
        uint h = 2166136261;
        foreach (var c in sentence) { h ^= c; h *= 16777619; }
        return h % 100 < 12;
    }

    private static List<string> LoadFortunes(string folder, HashSet<string>? dictionary)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder)) return [];
        foreach (var name in FortuneFiles)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var text = File.ReadAllText(path, Encoding.UTF8);
            foreach (var entry in text.Split("\n%\n"))
            {
                // Attributions ("-- Mark Twain") and indented verse lines are not sentences.
                var body = string.Join(' ', entry.Split('\n').TakeWhile(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal)));
                foreach (var sentence in SentenceEnd().Split(body))
                {
                    var normalized = TextNormalizer.Normalize(sentence);
                    if (normalized is null) continue;
                    if (dictionary is not null && normalized.Split(' ').Any(w => !dictionary.Contains(w))) continue;
                    var words = normalized.Split(' ').Length;
                    if (words is >= 4 and <= 18 && normalized.Length <= 110) result.Add(normalized);
                }
            }
        }
        return [.. result.Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();
}
