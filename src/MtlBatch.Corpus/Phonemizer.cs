using System.Collections.Frozen;

namespace MtlBatch.Corpus;

/// <summary>
/// Phoneme targets from espeak-ng's phonemizer (US English, Kirshenbaum-style mnemonics) mapped onto one fixed
/// inventory. The same phonemizer labels every engine's speech, so flite/festival utterances carry espeak's
/// pronunciation: a known approximation, documented in the model card.
/// </summary>
public sealed class Phonemizer(ProcessRunner runner)
{
    /// <summary>The fixed inventory in model order; index 0 is the CTC blank.</summary>
    public static readonly IReadOnlyList<string> Inventory =
    [
        "<blank>", "p", "b", "t", "d", "k", "g", "f", "v", "T", "D", "s", "z", "S", "Z", "h", "tS", "dZ", "m", "n", "N", "l", "r",
        "w", "j", "I", "E", "a", "@", "V", "U", "u:", "i:", "i", "3", "aI", "eI", "oU", "aU", "OI", "A:", "O:", "A@", "O@", "e@",
        "i@", "U@",
    ];

    private static readonly FrozenDictionary<string, string[]> Map = BuildMap();

    private static FrozenDictionary<string, string[]> BuildMap()
    {
        var map = Inventory.Skip(1).ToDictionary(s => s, s => new[] { s }, StringComparer.Ordinal);
        void Alias(string from, params string[] to) => map[from] = to;
        Alias("I2", "I"); Alias("I#", "I"); Alias("@2", "@"); Alias("@-", "@"); Alias("a#", "@"); Alias("t#", "t"); Alias("t2", "t");
        Alias("3:", "3"); Alias("@L", "@", "l"); Alias("n-", "n"); Alias("r-", "r"); Alias("aa", "a"); Alias("0", "A:");
        Alias("O2", "O:"); Alias("o@", "O@"); Alias("i@3", "i@"); Alias("aI3", "aI"); Alias("aI@", "aI"); Alias("x", "k");
        Alias("a:", "A:"); Alias("o", "oU"); Alias("a#:", "@"); Alias("e", "E"); Alias("y", "i:"); Alias("W", "w");
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Maps espeak-ng <c>-x --sep=_</c> output to inventory symbols; unknown symbols are dropped.</summary>
    public static IReadOnlyList<string> MapMnemonics(string espeakOutput)
    {
        var result = new List<string>();
        foreach (var token in espeakOutput.Split([' ', '_', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            // Stress marks (' and ,), pause/boundary marks (: ; ! | ?) carry no segment.
            var symbol = token.Trim('\'', ',', ';', '!', '|', '?', '=');
            if (symbol.StartsWith(':')) symbol = symbol[1..];
            symbol = symbol.Replace("'", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
            if (Map.TryGetValue(symbol, out var mapped)) result.AddRange(mapped);
        }
        return result;
    }

    public async Task<IReadOnlyList<string>> PhonemizeAsync(string text, CancellationToken cancellationToken)
    {
        var output = await runner.RunAsync("espeak-ng", ["-q", "-x", "--sep=_", "-v", "en-us", text], cancellationToken).ConfigureAwait(false);
        return MapMnemonics(output.StandardOutput);
    }
}
