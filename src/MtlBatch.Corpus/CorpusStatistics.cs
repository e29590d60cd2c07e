using System.Globalization;
using System.Text;

namespace MtlBatch.Corpus;

/// <summary>One row of a corpus table: a group (engine or real source) in one split.</summary>
public sealed record CorpusStatisticsRow(string Group, string Split, int Utterances, double Hours, int Speakers, double TelephoneShare);

/// <summary>Utterances, hours and speakers per group and split, and the conversations, of one corpus folder.</summary>
public sealed record CorpusStatisticsReport(string Folder, IReadOnlyList<CorpusStatisticsRow> Rows, int Conversations, double ConversationHours,
    int TwoChannelConversations, int ConversationSpeakers)
{
    public static readonly string[] Splits = ["train", "valid", "test"];

    /// <summary>The docs/corpus-v2.md table: one line per group and split, then one total per split, then the conversations.</summary>
    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"`{Folder}`").AppendLine();
        sb.AppendLine("| group | split | utterances | hours | speakers | telephone |").AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in Rows)
            sb.AppendLine(inv, $"| {r.Group} | {r.Split} | {r.Utterances:N0} | {r.Hours:F2} | {r.Speakers} | {r.TelephoneShare:P0} |");
        if (Conversations > 0)
            sb.AppendLine(inv, $"| conversations | test | {Conversations} ({TwoChannelConversations} two-channel) | {ConversationHours:F2} | {ConversationSpeakers} | |");
        return sb.ToString();
    }
}

/// <summary>
/// Reads train/valid/test.jsonl (and conversations.jsonl) of a corpus folder (docs/corpus-format.md) and counts what is
/// in it. Synthetic utterances are grouped by engine (the part of <c>engine</c> before the voice), imported real speech by <c>source</c>; "all" rows total each
/// split. "telephone" is the share of utterances rendered through a telephone channel (an <c>augment</c> tag
/// <c>telephone:CODEC</c>) or imported from one (a <c>phone</c> type).
/// </summary>
public static class CorpusStatistics
{
    public static async Task<CorpusStatisticsReport> ComputeAsync(string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"No corpus folder {folder}");
        var rows = new List<CorpusStatisticsRow>();
        var any = false;
        foreach (var split in CorpusStatisticsReport.Splits)
        {
            var path = Path.Combine(folder, split + ".jsonl");
            if (!File.Exists(path)) continue;
            any = true;
            var entries = await ManifestIo.ReadLinesAsync<UtteranceEntry>(path, cancellationToken).ConfigureAwait(false);
            foreach (var group in entries.GroupBy(GroupOf).OrderBy(g => g.Key, StringComparer.Ordinal))
                rows.Add(Row(group.Key, split, [.. group]));
            if (entries.Count > 0) rows.Add(Row("all", split, entries));
        }
        var conversationsPath = Path.Combine(folder, "conversations.jsonl");
        List<ConversationEntry> conversations = File.Exists(conversationsPath)
            ? await ManifestIo.ReadLinesAsync<ConversationEntry>(conversationsPath, cancellationToken).ConfigureAwait(false) : [];
        if (!any && conversations.Count == 0) throw new FileNotFoundException($"{folder} has no train/valid/test.jsonl or conversations.jsonl");
        return new CorpusStatisticsReport(folder, rows, conversations.Count, conversations.Sum(c => c.Duration) / 3600,
            conversations.Count(c => c.Audio2Ch is not null), conversations.SelectMany(c => c.Segments).Select(s => s.Speaker).Distinct(StringComparer.Ordinal).Count());
    }

    private static CorpusStatisticsRow Row(string group, string split, IReadOnlyList<UtteranceEntry> entries) =>
        new(group, split, entries.Count, entries.Sum(e => e.Duration) / 3600,
            entries.Select(e => e.Speaker).OfType<string>().Distinct(StringComparer.Ordinal).Count(),
            entries.Count == 0 ? 0 : (double)entries.Count(IsTelephone) / entries.Count);

    /// <summary>Imported speech by its source; synthetic speech by engine (<c>rhvoice:slt</c> -> <c>rhvoice</c>).</summary>
    private static string GroupOf(UtteranceEntry e) =>
        e.Source ?? (e.Engine is { } engine ? (engine.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 ? engine[..colon] : engine) : "unknown");

    private static bool IsTelephone(UtteranceEntry e) =>
        e.PhoneType is not null || (e.Augment?.Any(a => a.StartsWith("telephone:", StringComparison.Ordinal)) ?? false);
}
