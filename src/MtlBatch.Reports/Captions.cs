using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MtlBatch.Core;

namespace MtlBatch.Reports;

/// <summary>One caption: a speaker's words laid out on at most <see cref="CaptionOptions.MaxLines"/> lines.</summary>
/// <param name="Lines">The words of each line (a word longer than a line is split into pieces).</param>
public sealed record CaptionCue(TimeSpan Start, TimeSpan End, string? Speaker, IReadOnlyList<IReadOnlyList<string>> Lines);

/// <summary>WebVTT and SRT captions built from the transcript's timed words.</summary>
public static partial class Captions
{
    public static string ToWebVtt(AnalysisResult result, CaptionOptions? options = null)
    {
        var sb = new StringBuilder("WEBVTT\n\n");
        foreach (var cue in BuildCues(result, options))
        {
            sb.Append(Timestamp(cue.Start, '.')).Append(" --> ").Append(Timestamp(cue.End, '.')).Append('\n');
            for (int i = 0; i < cue.Lines.Count; i++)
            {
                // The voice span covers the whole cue text; it is not shown as characters, so it does not count against line length.
                if (i == 0 && cue.Speaker is not null) sb.Append("<v ").Append(VttEscape(cue.Speaker)).Append('>');
                sb.Append(VttEscape(string.Join(' ', cue.Lines[i]))).Append('\n');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static string ToSrt(AnalysisResult result, CaptionOptions? options = null)
    {
        var sb = new StringBuilder();
        int index = 1;
        foreach (var cue in BuildCues(result, options))
        {
            sb.Append(index++.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append(Timestamp(cue.Start, ',')).Append(" --> ").Append(Timestamp(cue.End, ',')).Append('\n');
            for (int i = 0; i < cue.Lines.Count; i++)
            {
                if (i == 0 && cue.Speaker is not null) sb.Append(cue.Speaker).Append(": ");
                // SRT has no escaping; the only sequence that can break a cue is the timing arrow.
                sb.Append(string.Join(' ', cue.Lines[i]).Replace("-->", "->", StringComparison.Ordinal)).Append('\n');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Groups the words into cues: a new cue starts at a speaker change, after a pause, when the cue would last
    /// longer than the limit or when the words no longer fit the lines. Cues never overlap.
    /// </summary>
    public static IReadOnlyList<CaptionCue> BuildCues(AnalysisResult result, CaptionOptions? options = null)
    {
        options ??= new CaptionOptions();
        options.Validate();

        var turns = new TurnIndex(result.Turns);
        var names = SpeakerNames(result);
        var tokens = new List<Token>();
        foreach (var word in result.Transcript.Words.Select((w, i) => (w, i)).OrderBy(x => x.w.Start).ThenBy(x => x.i).Select(x => x.w))
        {
            var text = Whitespace().Replace(word.Text, " ").Trim();
            if (text.Length == 0) continue;
            var speaker = word.Speaker;
            if (string.IsNullOrWhiteSpace(speaker))
            {
                int t = turns.Find((word.Start + word.End) / 2, null);
                speaker = t >= 0 ? result.Turns[t].Speaker : null;
            }
            // A speaker named after an enrolled voice (speakerName) is captioned with the name.
            if (speaker is not null && names.TryGetValue(speaker, out var name)) speaker = name;
            speaker = speaker is null ? null : Label(speaker, options.MaxSpeakerLabelLength);
            var end = Math.Max(word.End, word.Start);
            int room = options.MaxLineLength - (speaker is null ? 0 : speaker.Length + 2);
            if (text.Length <= room)
            {
                tokens.Add(new Token(text, word.Start, end, speaker));
                continue;
            }
            // A "word" longer than a line (URLs, garbage decodes) is split; its time is shared by character count.
            for (int offset = 0; offset < text.Length; offset += room)
            {
                var piece = text.Substring(offset, Math.Min(room, text.Length - offset));
                double a = word.Start + (end - word.Start) * offset / text.Length;
                double b = word.Start + (end - word.Start) * (offset + piece.Length) / text.Length;
                tokens.Add(new Token(piece, a, b, speaker));
            }
        }

        var drafts = new List<Draft>();
        Draft? current = null;
        foreach (var token in tokens)
        {
            if (current is not null &&
                (token.Speaker != current.Speaker
                 || token.Start - current.End > options.PauseSeconds
                 || Math.Max(current.End, token.End) - current.Start > options.MaxCueSeconds
                 || !current.TryAppend(token, options)))
            {
                current = null;
            }
            if (current is null)
            {
                current = new Draft(token);
                drafts.Add(current);
            }
        }

        // Whole milliseconds, then pull each end back to the next start so cues never overlap (overlapping speech
        // or odd word times would otherwise produce cues shown at once).
        var cues = new List<CaptionCue>(drafts.Count);
        long previousEnd = 0;
        for (int i = 0; i < drafts.Count; i++)
        {
            var d = drafts[i];
            long start = Math.Max(Ms(d.Start), previousEnd);
            long end = Math.Min(Math.Max(Ms(d.End), start + 1), start + Ms(options.MaxCueSeconds));
            if (i + 1 < drafts.Count) end = Math.Min(end, Math.Max(Ms(drafts[i + 1].Start), start + 1));
            cues.Add(new CaptionCue(TimeSpan.FromMilliseconds(start), TimeSpan.FromMilliseconds(end), d.Speaker,
                d.Lines.Select(l => (IReadOnlyList<string>)l.ToArray()).ToArray()));
            previousEnd = end;
        }
        return cues;
    }

    /// <summary>"00:01:02.345" (VTT, separator '.') or "00:01:02,345" (SRT, separator ',').</summary>
    public static string Timestamp(TimeSpan time, char separator)
    {
        long ms = (long)Math.Round(time.TotalMilliseconds, MidpointRounding.AwayFromZero);
        if (ms < 0) ms = 0;
        long hours = ms / 3_600_000, minutes = ms / 60_000 % 60, seconds = ms / 1000 % 60, millis = ms % 1000;
        return string.Create(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}{separator}{millis:000}");
    }

    private static long Ms(double seconds) => (long)Math.Round(Math.Max(0, seconds) * 1000, MidpointRounding.AwayFromZero);

    /// <summary>Speaker id to enrolled name, from the speakers list and the turns (voiceprints, docs/voiceprints.md).</summary>
    private static Dictionary<string, string> SpeakerNames(AnalysisResult result)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in result.Speakers) if (!string.IsNullOrWhiteSpace(s.SpeakerName)) names.TryAdd(s.Id, s.SpeakerName);
        foreach (var t in result.Turns) if (!string.IsNullOrWhiteSpace(t.SpeakerName)) names.TryAdd(t.Speaker, t.SpeakerName);
        return names;
    }

    private static string Label(string speaker, int maxLength)
    {
        var label = Whitespace().Replace(speaker, " ").Trim();
        return label.Length <= maxLength ? label : label[..maxLength];
    }

    private static string VttEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private sealed record Token(string Text, double Start, double End, string? Speaker);

    private sealed class Draft
    {
        public Draft(Token first)
        {
            Speaker = first.Speaker;
            Start = first.Start;
            End = first.End;
            Lines.Add([first.Text]);
        }

        public string? Speaker { get; }
        public double Start { get; }
        public double End { get; private set; }
        public List<List<string>> Lines { get; } = [];

        public bool TryAppend(Token token, CaptionOptions options)
        {
            var last = Lines[^1];
            int prefix = Lines.Count == 1 && Speaker is not null ? Speaker.Length + 2 : 0;
            int length = prefix + last.Sum(w => w.Length) + last.Count - 1;
            if (length + 1 + token.Text.Length <= options.MaxLineLength)
                last.Add(token.Text);
            else if (Lines.Count < options.MaxLines)
                Lines.Add([token.Text]);
            else
                return false;
            End = Math.Max(End, token.End);
            return true;
        }
    }
}
