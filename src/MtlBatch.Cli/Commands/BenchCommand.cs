using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference;
using MtlBatch.Inference.Benchmarks;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch bench</c>: generates 1/10/60-minute mp3 conversations, runs the full analyze path on each in a child process
/// (so peak memory is per size) and prints x realtime per stage and peak RSS; updates a section of docs/benchmarks.md.
/// </summary>
public sealed class BenchCommand : ICliCommand
{
    private const string ResultPrefix = "BENCH-RESULT ";
    /// <summary>The decoder-alone pass keeps every chunk's outputs (about 110 MB per hour with mtl-small: 29 characters, 47 phonemes,
    /// 128-dim speaker frames, 30 s chunks with 2 s overlap) and runs the network once more: inputs up to an hour.</summary>
    private const double DecoderAloneMaxSeconds = 3600;

    public Command Build()
    {
        var minutes = new Option<string>("--minutes") { Description = "Comma-separated input lengths in minutes.", DefaultValueFactory = _ => "1,10,60" };
        var model = new Option<string?>("--model") { Description = $"ONNX model (default: {ModelLocator.DefaultModelRelativePath})." };
        var output = new Option<string>("--out") { Description = "Markdown file whose benchmark section is replaced.", DefaultValueFactory = _ => "docs/benchmarks.md" };
        var memoryHours = new Option<double>("--memory-hours") { Description = "Also run an input of this many hours (memory check), e.g. 10.", DefaultValueFactory = _ => 0 };
        var work = new Option<string>("--work") { Description = "Folder for generated inputs (kept and reused).", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "mtlbatch-bench") };
        var batchSize = new Option<int?>("--batch-size") { Description = "Chunks (30 s each) per ONNX Runtime call (default: 1 on CPU, where batching gains nothing and costs ~80 MB per chunk; 4 on CUDA)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0 = one per core).", DefaultValueFactory = _ => 0 };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Auto };
        var baseline = new Option<string?>("--baseline") { Description = "A second ONNX model (e.g. the previous release) measured on the same inputs in the same run." };
        var measure = new Option<string?>("--measure") { Description = "Internal: measure one file in this process and print the result line.", Hidden = true };

        var command = new Command("bench", "Measure x realtime per stage and peak memory of the analyze path on generated 1/10/60-minute inputs.");
        foreach (var o in new Option[] { minutes, model, output, memoryHours, work, threads, batchSize, device, baseline, measure }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var options = new AnalysisOptions { ModelPath = parse.GetValue(model), IntraOpThreads = parse.GetValue(threads), Device = parse.GetValue(device), BatchSize = parse.GetValue(batchSize) ?? 0 };
            var modelPath = options.ModelPath ?? ModelLocator.FindDefault();
            if (parse.GetValue(measure) is { } file) return await MeasureAsync(file, modelPath, options, parse.GetValue(work)!, ct).ConfigureAwait(false);

            var sizes = parse.GetValue(minutes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
            if (parse.GetValue(memoryHours) is > 0 and var hours) sizes.Add(hours * 60);
            return await RunAsync(sizes, modelPath, parse.GetValue(baseline), options, parse.GetValue(output)!, parse.GetValue(work)!, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(IReadOnlyList<double> sizes, string modelPath, string? baselinePath, AnalysisOptions options, string markdownPath, string work,
        CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create();
        var logger = logging.CreateLogger<BenchCommand>();
        var inputs = new BenchmarkInputs(work);
        var rows = new List<(double, BenchmarkMeasurement)>();
        var baselineRows = new List<(double, BenchmarkMeasurement)>();
        static (string Name, string Version) Describe(string path)
        {
            using var factory = MtlModelFactory.FromPath(path, new MtlModelOptions { Device = DevicePreference.Cpu });
            return (factory.Model.Description.Name, factory.Model.Description.Version);
        }
        var (modelName, modelVersion) = Describe(modelPath);

        foreach (var minutes in sizes)
        {
            logger.LogInformation("Generating a {Minutes} minute input in {Folder}", minutes, work);
            var file = await inputs.GetAsync(minutes, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Measuring {File} in a child process", file);
            foreach (var (path, table) in baselinePath is null ? [(modelPath, rows)] : new[] { (modelPath, rows), (baselinePath, baselineRows) })
            {
                var m = await RunChildAsync(file, path, options, work, cancellationToken).ConfigureAwait(false);
                table.Add((minutes, m));
                Console.WriteLine(FormattableString.Invariant(
                $"{Path.GetFileName(path)} {minutes,6:0.##} min: end to end {m.AudioSeconds / m.EndToEndSeconds,7:0.0}x realtime ({m.EndToEndSeconds:0.0} s) | decode {m.AudioSeconds / m.DecodeSeconds:0}x | model {m.AudioSeconds / m.ModelSeconds:0}x | ctc {m.AudioSeconds / m.CtcSeconds:0}x (alone {(m.CtcAloneSeconds > 0 ? (m.AudioSeconds / m.CtcAloneSeconds).ToString("0", CultureInfo.InvariantCulture) + "x" : "-")}) | diarization+emotion {m.AudioSeconds / m.PostSeconds:0}x | writing {m.AudioSeconds / m.WriteSeconds:0}x | peak RSS {m.PeakRssBeforeWriteMegabytes:0} MB analysis, {m.PeakRssMegabytes:0} MB with writing | {m.Words} words | {m.Device}"));
            }
        }

        var section = BenchmarkReport.Markdown(rows, modelName, modelVersion, DateTimeOffset.UtcNow,
            baselinePath is null ? null : Baseline(baselineRows, baselinePath));

        // One model load for both description fields.
        static BenchmarkBaseline Baseline(List<(double, BenchmarkMeasurement)> table, string path)
        {
            var (name, version) = Describe(path);
            return new BenchmarkBaseline(table, name, version);
        }
        BenchmarkReport.Update(markdownPath, section);
        logger.LogInformation("Updated {Markdown}", markdownPath);
        return 0;
    }

    /// <summary>Runs this same executable with --measure so each size has its own process and its own peak RSS.</summary>
    private static async Task<BenchmarkMeasurement> RunChildAsync(string file, string modelPath, AnalysisOptions options, string work, CancellationToken cancellationToken)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the running executable.");
        var info = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, RedirectStandardError = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in new[] { "bench", "--measure", file, "--model", modelPath, "--work", work, "--device", options.Device.ToString().ToLowerInvariant(),
                     "--threads", options.IntraOpThreads.ToString(CultureInfo.InvariantCulture), "--batch-size", options.BatchSize.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Cannot start the measuring process.");
        var stdout = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null) throw new InvalidOperationException($"Measuring {file} failed (exit {process.ExitCode}).");
        return MtlJson.Deserialize<BenchmarkMeasurement>(line[ResultPrefix.Length..]);
    }

    private static async Task<int> MeasureAsync(string file, string modelPath, AnalysisOptions options, string work, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create();
        using var factory = MtlModelFactory.FromPath(modelPath, MtlModelOptions.From(options), logging);
        options.BatchSize = factory.BatchSizeFor(options.BatchSize);
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits(), logging.CreateLogger<AudioDecoder>());
        var outputFolder = Path.Combine(work, "out", Path.GetFileNameWithoutExtension(file));
        var m = await BenchmarkMeasurement.MeasureAsync(file, decoder, factory.Model, network => factory.CreateAnalyzer(network),
            outputFolder, options, DecoderAloneMaxSeconds, cancellationToken).ConfigureAwait(false);
        Console.WriteLine(ResultPrefix + MtlJson.Serialize(m, indented: false));
        return 0;
    }
}
