using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MtlBatch.Infra.Tests;

/// <summary>
/// Evaluates the small subset of ARM template expressions that bicep emits for names and role ids
/// (<c>variables</c>, <c>format</c>, <c>items</c>, <c>subscriptionResourceId</c>, indexing by <c>copyIndex()</c>,
/// property access). Values that depend on the deployment (<c>parameters</c>, <c>reference</c>, ...) evaluate to
/// <see cref="Unknown"/>; a copy loop evaluates to every element, so the result is a list of alternatives.
/// </summary>
internal sealed class ArmExpression
{
    /// <summary>A value known only at deployment time.</summary>
    public sealed class Unknown
    {
        public static readonly Unknown Value = new();
        public override string ToString() => "<runtime>";
    }

    private sealed class CopyIndex
    {
        public static readonly CopyIndex Value = new();
    }

    private readonly ArmTemplate _scope;
    private readonly string _text;
    private int _pos;

    private ArmExpression(ArmTemplate scope, string text)
    {
        _scope = scope;
        _text = text;
    }

    /// <summary>Every string a template value can take, with runtime parts rendered as "&lt;runtime&gt;".</summary>
    public static IReadOnlyList<string> EvaluateStrings(JsonElement value, ArmTemplate scope) =>
        Evaluate(value, scope).Select(v => v switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonElement e => e.GetRawText(),
            _ => v.ToString() ?? "",
        }).ToArray();

    public static IReadOnlyList<object> Evaluate(JsonElement value, ArmTemplate scope)
    {
        if (value.ValueKind != JsonValueKind.String) return [value];
        var text = value.GetString()!;
        if (!IsExpression(text)) return [text.StartsWith("[[", StringComparison.Ordinal) ? text[1..] : text];
        var parser = new ArmExpression(scope, text[1..^1]);
        var result = parser.ParseExpression();
        parser.SkipSpace();
        if (parser._pos != parser._text.Length) throw new FormatException($"unexpected '{parser._text[parser._pos..]}' in {text}");
        return result;
    }

    public static bool IsExpression(string text) =>
        text.StartsWith('[') && !text.StartsWith("[[", StringComparison.Ordinal) && text.EndsWith(']');

    // expression := primary ( '[' expression ']' | '.' identifier )*
    private List<object> ParseExpression()
    {
        var values = ParsePrimary();
        while (true)
        {
            SkipSpace();
            if (Peek('['))
            {
                _pos++;
                var index = ParseExpression();
                Expect(']');
                values = values.SelectMany(v => index.SelectMany(i => IndexInto(v, i))).ToList();
            }
            else if (Peek('.'))
            {
                _pos++;
                var member = ParseIdentifier();
                values = values.Select(v => Member(v, member)).ToList();
            }
            else
            {
                return values;
            }
        }
    }

    private List<object> ParsePrimary()
    {
        SkipSpace();
        if (Peek('\''))
        {
            return [ParseStringLiteral()];
        }
        if (char.IsDigit(_text[_pos]) || Peek('-'))
        {
            var start = _pos++;
            while (_pos < _text.Length && char.IsDigit(_text[_pos])) _pos++;
            return [long.Parse(_text[start.._pos], CultureInfo.InvariantCulture)];
        }
        var name = ParseIdentifier();
        Expect('(');
        var args = new List<List<object>>();
        SkipSpace();
        if (!Peek(')'))
        {
            do { args.Add(ParseExpression()); SkipSpace(); } while (TryConsume(','));
        }
        Expect(')');
        return Combine(args).SelectMany(a => Call(name, a)).ToList();
    }

    private IEnumerable<object> Call(string function, IReadOnlyList<object> args)
    {
        switch (function.ToLowerInvariant())
        {
            case "variables":
                var variable = _scope.Variable((string)args[0]) ?? throw new KeyNotFoundException($"variable {args[0]} in {_scope.Name}");
                return Evaluate(variable, _scope);
            case "copyindex":
                return [CopyIndex.Value];
            case "format":
                return [Format((string)args[0], args.Skip(1).ToArray())];
            case "string":
                return [args[0] is string s ? s : Render(args[0])];
            case "subscriptionresourceid":
                return [string.Join('/', args.Select(Render))];
            case "items":
                return [Items(args[0])];
            default:
                return [Unknown.Value];
        }
    }

    private static string Format(string format, object[] args)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '{' && i + 1 < format.Length && char.IsDigit(format[i + 1]))
            {
                var close = format.IndexOf('}', i);
                builder.Append(Render(args[int.Parse(format[(i + 1)..close], CultureInfo.InvariantCulture)]));
                i = close;
            }
            else
            {
                builder.Append(format[i]);
            }
        }
        return builder.ToString();
    }

    private static string Render(object value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement e => e.GetRawText(),
        long n => n.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static object Items(object value)
    {
        if (value is not JsonElement { ValueKind: JsonValueKind.Object } obj) return Unknown.Value;
        var pairs = obj.EnumerateObject().Select(p => new Dictionary<string, JsonElement> { ["key"] = JsonSerializer.SerializeToElement(p.Name), ["value"] = p.Value });
        return JsonSerializer.SerializeToElement(pairs);
    }

    private IEnumerable<object> IndexInto(object container, object index)
    {
        if (container is not JsonElement element) return [Unknown.Value];
        if (element.ValueKind == JsonValueKind.Array)
        {
            var items = index switch
            {
                CopyIndex => element.EnumerateArray().ToArray(),
                long n => [element[(int)n]],
                _ => [],
            };
            return items.Length == 0 ? [Unknown.Value] : items.SelectMany(item => Evaluate(item, _scope));
        }
        if (element.ValueKind == JsonValueKind.Object && index is string key && element.TryGetProperty(key, out var property))
            return Evaluate(property, _scope);
        return [Unknown.Value];
    }

    private object Member(object value, string member)
    {
        if (value is JsonElement { ValueKind: JsonValueKind.Object } element)
        {
            foreach (var property in element.EnumerateObject())
                if (string.Equals(property.Name, member, StringComparison.OrdinalIgnoreCase))
                    return Evaluate(property.Value, _scope).Single();
        }
        return Unknown.Value;
    }

    private static IEnumerable<IReadOnlyList<object>> Combine(List<List<object>> args)
    {
        IEnumerable<IReadOnlyList<object>> combos = [Array.Empty<object>()];
        foreach (var alternatives in args)
            combos = combos.SelectMany(c => alternatives.Select(a => (IReadOnlyList<object>)[.. c, a])).ToList();
        return combos;
    }

    private string ParseStringLiteral()
    {
        Expect('\'');
        var builder = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw new FormatException($"unterminated string in {_text}");
            var c = _text[_pos++];
            if (c == '\'')
            {
                if (Peek('\'')) { builder.Append('\''); _pos++; continue; }
                return builder.ToString();
            }
            builder.Append(c);
        }
    }

    private string ParseIdentifier()
    {
        SkipSpace();
        var start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
        if (start == _pos) throw new FormatException($"identifier expected at {_pos} in {_text}");
        return _text[start.._pos];
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;

    private bool TryConsume(char c)
    {
        SkipSpace();
        if (!Peek(c)) return false;
        _pos++;
        return true;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c)) throw new FormatException($"'{c}' expected at {_pos} in {_text}");
    }
}
