using System.Net;
using System.Text.RegularExpressions;

namespace MtlBatch.Reports.Tests;

/// <summary>One start tag with its (decoded) attributes.</summary>
internal sealed record Tag(string Name, IReadOnlyDictionary<string, string> Attributes)
{
    public string? this[string attribute] => Attributes.TryGetValue(attribute, out var v) ? v : null;
    public IReadOnlyList<string> Classes => (this["class"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    public bool HasClass(string c) => Classes.Contains(c);
}

/// <summary>
/// A small tokenizer for well-formed markup (ours, or Chromium's serialised DOM): start tags and their attributes.
/// Attribute values are quoted, so text that merely looks like markup inside a value is not mistaken for a tag.
/// </summary>
internal static partial class HtmlScan
{
    public static List<Tag> Tags(string html)
    {
        var tags = new List<Tag>();
        foreach (Match m in StartTag().Matches(html))
        {
            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (Match a in Attribute().Matches(m.Groups[2].Value))
            {
                var value = a.Groups[2].Success ? a.Groups[2].Value : a.Groups[3].Success ? a.Groups[3].Value : a.Groups[4].Value;
                attributes[a.Groups[1].Value] = WebUtility.HtmlDecode(value);
            }
            tags.Add(new Tag(m.Groups[1].Value.ToLowerInvariant(), attributes));
        }
        return tags;
    }

    /// <summary>Text of every element with class <paramref name="cls"/> that contains no child elements.</summary>
    public static List<(Tag Tag, string Text)> LeafTexts(string html, string tagName, string cls)
    {
        var list = new List<(Tag, string)>();
        var regex = new Regex($@"<{tagName}(\s[^>]*)>([^<]*)</{tagName}>");
        foreach (Match m in regex.Matches(html))
        {
            var tag = Tags($"<{tagName}{m.Groups[1].Value}>")[0];
            if (tag.HasClass(cls)) list.Add((tag, WebUtility.HtmlDecode(m.Groups[2].Value)));
        }
        return list;
    }

    /// <summary>Content between the first <c>&lt;name&gt;</c> and <c>&lt;/name&gt;</c>.</summary>
    public static string Inner(string html, string name)
    {
        int a = html.IndexOf($"<{name}>", StringComparison.Ordinal);
        int b = html.IndexOf($"</{name}>", a + 1, StringComparison.Ordinal);
        Assert.True(a >= 0 && b > a, $"<{name}> not found");
        return html[(a + name.Length + 2)..b];
    }

    /// <summary>Every URL-bearing attribute value that would make the browser fetch something over the network.</summary>
    public static List<string> NetworkReferences(string html)
    {
        var found = new List<string>();
        foreach (var tag in Tags(html))
            foreach (var (name, value) in tag.Attributes)
            {
                bool urlAttribute = name is "src" or "href" or "xlink:href" or "srcset" or "action" or "formaction" or "poster" or "data" or "background";
                var v = value.Trim();
                if (urlAttribute && (v.Contains("//", StringComparison.Ordinal) || v.Contains("http:", StringComparison.OrdinalIgnoreCase)
                                     || v.Contains("https:", StringComparison.OrdinalIgnoreCase)))
                    found.Add($"<{tag.Name} {name}=\"{value}\">");
                if (name == "style" && v.Contains("url(", StringComparison.OrdinalIgnoreCase) && !v.Contains("url(#", StringComparison.OrdinalIgnoreCase))
                    found.Add($"<{tag.Name} style=\"{value}\">");
            }
        // CSS may not pull anything in either: only local fragment references are allowed.
        foreach (Match m in CssUrl().Matches(html))
            if (!m.Groups[1].Value.StartsWith('#')) found.Add(m.Value);
        if (html.Contains("@import", StringComparison.OrdinalIgnoreCase)) found.Add("@import");
        return found;
    }

    [GeneratedRegex(@"<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:""[^""]*""|'[^']*'|[^\s>]+))?)*)\s*/?>")]
    private static partial Regex StartTag();

    [GeneratedRegex(@"([^\s=>/]+)(?:\s*=\s*(?:""([^""]*)""|'([^']*)'|([^\s>]+)))?")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"url\(\s*['""]?([^)'""]*)")]
    private static partial Regex CssUrl();
}
