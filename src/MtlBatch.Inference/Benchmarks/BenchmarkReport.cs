using System.Globalization;
using System.Text;

namespace MtlBatch.Inference.Benchmarks;

/// <summary>Formats benchmark results as markdown and keeps them in their own section of docs/benchmarks.md.</summary>
/// <summary>A second model measured in the same bench run (the previous release) for comparison.</summary>
internal sealed record BenchmarkBaseline(IReadOnlyList<(double Minutes, BenchmarkMeasurement M)> Rows, string ModelName, string ModelVersion);

internal static class BenchmarkReport
{
    public const string StartMarker = "<!-- inference-bench:start -->";
    public const string EndMarker = "<!-- inference-bench:end -->";

    public static string Markdown(IReadOnlyList<(double Minutes, BenchmarkMeasurement M)> rows, string modelName, string modelVersion, DateTimeOffset date,
        BenchmarkBaseline? baseline = null)
    {
        static string X(double audio, double seconds) => seconds <= 0 ? "-" : (audio / seconds).ToString("0", CultureInfo.InvariantCulture) + "x";
        var sb = new StringBuilder();
        sb.AppendLine(StartMarker);
        sb.AppendLine("## Inference benchmark (`mtlbatch bench`)");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- date: {date:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} cores, {CpuModel()}, {Environment.OSVersion}; load average when finished: {LoadAverage()} (other work on the machine slows every stage)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- model: {modelName} {modelVersion}; device: {rows.FirstOrDefault().M?.Device ?? "-"}");
        sb.AppendLine("- input: a two-voice espeak-ng conversation looped to length, 32 kbit/s mp3 (so decoding is real work)");
        sb.AppendLine("- each size runs in its own process; x realtime = audio seconds / stage seconds (higher is faster). Decode is measured");
        sb.AppendLine("  alone; in the full path it overlaps with the model (the next batch is decoded while the current one runs).");
        sb.AppendLine();
        sb.AppendLine("- CTC alone: the decoder once more on the recorded network outputs, without the network competing for the cores (inputs up");
        sb.AppendLine("  to 60 min); its share = CTC alone / (model + CTC alone + diarization and emotion).");
        sb.AppendLine();
        sb.AppendLine("| model | audio | decode | model | CTC decoding | CTC alone (share) | diarization + emotion | writing | end to end | peak RSS (analysis / with writing) | words |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        void Rows(IReadOnlyList<(double Minutes, BenchmarkMeasurement M)> table, string label)
        {
            foreach (var (minutes, m) in table)
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {label} | {minutes:0.##} min | {X(m.AudioSeconds, m.DecodeSeconds)} | {X(m.AudioSeconds, m.ModelSeconds)} | {X(m.AudioSeconds, m.CtcSeconds)} | {CtcAlone(m)} | {X(m.AudioSeconds, m.PostSeconds)} | {X(m.AudioSeconds, m.WriteSeconds)} | **{X(m.AudioSeconds, m.EndToEndSeconds)}** ({m.EndToEndSeconds:0.0} s) | {m.PeakRssBeforeWriteMegabytes:0} / {m.PeakRssMegabytes:0} MB | {m.Words} |");
        }
        string CtcAlone(BenchmarkMeasurement m) => m.CtcAloneSeconds <= 0 ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"{X(m.AudioSeconds, m.CtcAloneSeconds)} ({DecoderShare(m) * 100:0} %)");
        Rows(rows, modelVersion);
        // The previous model measured in the same run, on the same inputs and machine load: the fair comparison.
        if (baseline is not null) Rows(baseline.Rows, baseline.ModelVersion + " (baseline)");
        sb.AppendLine();
        sb.AppendLine("Targets on 2 CPU cores: end to end >= 200x realtime on 60 min; peak RSS <= 600 MB on a 10-hour input; cost linear in duration; the decoder >= 400x on its own and <= 25 % of the analysis (issue #13).");
        sb.AppendLine(EndMarker);
        return sb.ToString();
    }

    /// <summary>The decoder's share of the analysis stages, with the decoder timed on its own (0 when that was not measured).</summary>
    public static double DecoderShare(BenchmarkMeasurement m)
    {
        var total = m.ModelSeconds + m.CtcAloneSeconds + m.PostSeconds;
        return m.CtcAloneSeconds <= 0 || total <= 0 ? 0 : m.CtcAloneSeconds / total;
    }

    /// <summary>Replaces this benchmark's section in <paramref name="path"/> (or appends it), leaving the rest of the file alone.</summary>
    public static void Update(string path, string section)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
        var start = existing.IndexOf(StartMarker, StringComparison.Ordinal);
        var end = existing.IndexOf(EndMarker, StringComparison.Ordinal);
        string updated;
        if (start >= 0 && end > start)
        {
            var after = end + EndMarker.Length;
            if (after < existing.Length && existing[after] == '\n') after++;
            updated = existing[..start] + section + existing[after..];
        }
        else updated = existing.TrimEnd() + "\n\n" + section;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, updated);
    }

    public static string LoadAverage()
    {
        const string file = "/proc/loadavg";
        return File.Exists(file) ? string.Join(' ', File.ReadAllText(file).Split(' ').Take(3)) : "unknown";
    }

    public static string CpuModel()
    {
        const string file = "/proc/cpuinfo";
        if (!File.Exists(file)) return "unknown CPU";
        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
