using System.Globalization;
using System.Text;

namespace MtlBatch.Evaluation;

/// <summary>The markdown tables of an <see cref="EvaluationReport"/> (docs/evaluation.md explains how to read them).</summary>
public static class EvaluationMarkdown
{
    /// <summary>What a metric without labelled items shows (never 0).</summary>
    public const string NotAvailable = "n/a";

    public static string Render(EvaluationReport r)
    {
        var peer = r.Peer?.Name;
        var sb = new StringBuilder();
        var sets = string.Join(", ", r.Set.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => Path.GetFileName(Path.TrimEndingDirectorySeparator(s))));
        sb.AppendLine(Invariant($"### {r.Model} {r.ModelVersion} on {sets}: utterances ({r.Utterances}, {r.UtteranceHours:0.00} h), LM {r.LanguageModel}"));
        sb.AppendLine();
        sb.AppendLine($"| metric | scored on | model | model, no LM | {peer ?? "peer"} |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        Row(sb, "CER", Utt(r.TranscribedUtterances), P(r.Cer), P(r.CerWithoutLm), P(r.Peer?.Cer));
        Row(sb, "WER", Utt(r.TranscribedUtterances), P(r.Wer), P(r.WerWithoutLm), P(r.Peer?.Wer));
        Row(sb, "word accuracy (single-word references)", Utt(r.SingleWordUtterances), P(r.WordAccuracy), P(r.WordAccuracyWithoutLm), P(r.Peer?.WordAccuracy));
        Row(sb, "PER (greedy)", Utt(r.PhonemeUtterances), P(r.Per), "", "");
        Row(sb, "speaker EER", Invariant($"{r.SpeakerUtterances} utt, {r.Speakers} speakers, {r.GenuineTrials}+{r.ImpostorTrials} trials"), P(r.SpeakerEer), "", "");
        Row(sb, "emotion accuracy / macro-F1", Utt(r.EmotionUtterances), $"{P(r.EmotionAccuracy)} / {P(r.EmotionMacroF1)}", "", "");
        Row(sb, "VAD F1 (frames)", Utt(r.VadUtterances), r.VadF1 is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : NotAvailable, "", "");
        Row(sb, "word confidence: ECE (mean confidence / share correct)", Invariant($"{r.ScoredWords} hypothesis words"),
            r.ConfidenceEce is null ? NotAvailable : $"{P(r.ConfidenceEce)} ({P(r.MeanConfidence)} / {P(r.WordPrecision)})",
            r.ConfidenceFitSlope is { } slope ? Invariant($"Platt fit: slope {slope:0.000}, intercept {r.ConfidenceFitIntercept:0.000}") : "", "");
        Row(sb, "speed (x realtime)", r.Device, X(r.ModelRealtimeFactor), "", X(r.Peer?.RealtimeFactor));

        if (r.Groups.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("### Groups");
            sb.AppendLine();
            sb.AppendLine($"| group | utterances | WER | WER no LM | {peer ?? "peer"} WER | word accuracy | {peer ?? "peer"} word accuracy | speaker EER (speakers) |");
            sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var g in r.Groups)
                sb.AppendLine(Invariant($"| {g.Field} = {g.Value} | {g.Utterances} ({g.TranscribedUtterances} transcribed) | {P(g.Wer)} | {P(g.WerWithoutLm)} | {P(g.Peer?.Wer)} | {P(g.WordAccuracy)} | {P(g.Peer?.WordAccuracy)} | {P(g.SpeakerEer)} ({g.Speakers}) |"));
        }

        sb.AppendLine();
        sb.AppendLine(Invariant($"### Conversations ({r.Conversations})"));
        sb.AppendLine();
        sb.AppendLine("| metric | scored on | model |");
        sb.AppendLine("| --- | --- | --- |");
        Row(sb, "DER (collar 0.25 s)", Invariant($"{r.Conversations} conv"), r.Der is null ? NotAvailable
            : $"{P(r.Der)} (miss {P(r.DerMissed)}, FA {P(r.DerFalseAlarm)}, confusion {P(r.DerConfusion)}; overlap floor {P(r.DerOverlapFloor)})");
        Row(sb, "speaker count correct", Invariant($"{r.Conversations} conv"), P(r.SpeakerCountAccuracy));
        Row(sb, "conversation WER", Invariant($"{r.TranscribedConversations} conv"), P(r.ConversationWer));
        Row(sb, "emotion timeline accuracy", Invariant($"{r.EmotionConversations} conv"), P(r.EmotionTimelineAccuracy));
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, params string[] cells) => sb.AppendLine("| " + string.Join(" | ", cells) + " |");
    private static string Utt(int n) => Invariant($"{n} utt");
    private static string P(double? v) => v is { } x ? (x * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : NotAvailable;
    private static string X(double? v) => v is { } x ? x.ToString(x < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + "x" : NotAvailable;
    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
