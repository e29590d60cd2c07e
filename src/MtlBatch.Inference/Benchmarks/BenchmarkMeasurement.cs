using System.Diagnostics;
using System.Globalization;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Processing;
using MtlBatch.Reports;

namespace MtlBatch.Inference.Benchmarks;

/// <summary>One benchmark run over one input (normally in its own process, so <see cref="PeakRssMegabytes"/> is that input's peak).</summary>
internal sealed record BenchmarkMeasurement
{
    public required double AudioSeconds { get; init; }
    public required double DecodeSeconds { get; init; }
    public required double ModelSeconds { get; init; }
    public required double CtcSeconds { get; init; }
    /// <summary>
    /// The CTC decoding stage again, replaying the recorded network outputs (<see cref="ReplayChunkModel"/>) so that the
    /// decoder runs without the network competing for the cores: the decoder's speed on its own. 0 = not measured.
    /// </summary>
    public double CtcAloneSeconds { get; init; }
    public required double PostSeconds { get; init; }
    public required double WriteSeconds { get; init; }
    public required double EndToEndSeconds { get; init; }
    public required double PeakRssMegabytes { get; init; }
    /// <summary>Peak RSS before the result files were rendered and written (the analysis alone).</summary>
    public required double PeakRssBeforeWriteMegabytes { get; init; }
    public required int Words { get; init; }
    public required string Device { get; init; }

    /// <summary>
    /// Decodes the file once on its own (the decode stage), then runs the full path of <c>mtlbatch analyze</c> — probe,
    /// decode, analyse, write, through the <see cref="RecordingProcessor"/> into a <see cref="FolderResultSink"/> — timing
    /// each stage, and reads the process's peak resident set (VmHWM) at the end.
    /// </summary>
    /// <param name="analyzerFor">The analyzer over a given network (the real one for the full path; a <see cref="ReplayChunkModel"/>
    /// for the decoder-alone pass).</param>
    /// <param name="model">The network.</param>
    /// <param name="decoderAloneMaxSeconds">Inputs up to this long also get the decoder-alone pass (which holds every chunk's
    /// outputs in memory, so it runs after the peak RSS has been read); 0 = never.</param>
    public static async Task<BenchmarkMeasurement> MeasureAsync(string path, AudioDecoder decoder, IChunkModel model, Func<IChunkModel, SpeechAnalyzer> analyzerFor,
        string outputFolder, AnalysisOptions options, double decoderAloneMaxSeconds, CancellationToken cancellationToken)
    {
        var processor = new RecordingProcessor(analyzerFor(model));
        var decodeClock = Stopwatch.StartNew();
        long samples = 0;
        await foreach (var block in decoder.DecodeAsync(path, null, cancellationToken).ConfigureAwait(false)) samples += block.Length;
        var decodeSeconds = decodeClock.Elapsed.TotalSeconds;

        var timings = new StageTimings();
        var clock = Stopwatch.StartNew();
        var audio = await RecordingAudio.OpenFileAsync(decoder, path, Path.GetFileName(path), cancellationToken).ConfigureAwait(false);
        var result = await processor.AnalyzeAsync(audio, options, null, timings, cancellationToken).ConfigureAwait(false);
        var peakBeforeWrite = ReadPeakRssMegabytes();
        var writeStart = Stopwatch.GetTimestamp();
        await processor.WriteAsync(result, audio, options, new FolderResultSink(outputFolder), outputFolder, cancellationToken).ConfigureAwait(false);
        timings.AddWriting(Stopwatch.GetElapsedTime(writeStart));
        var endToEnd = clock.Elapsed.TotalSeconds;
        var peak = ReadPeakRssMegabytes();
        var audioSeconds = samples / (double)AudioDecoder.SampleRate;

        double ctcAlone = 0;
        if (audioSeconds <= decoderAloneMaxSeconds)
        {
            var replay = ReplayChunkModel.Record(model);
            var replayProcessor = new RecordingProcessor(analyzerFor(replay));
            await replayProcessor.AnalyzeAsync(audio, options, null, null, cancellationToken).ConfigureAwait(false);
            replay.StartReplay();
            var aloneTimings = new StageTimings();
            await replayProcessor.AnalyzeAsync(audio, options, null, aloneTimings, cancellationToken).ConfigureAwait(false);
            ctcAlone = aloneTimings.CtcDecoding.TotalSeconds;
        }

        return new BenchmarkMeasurement
        {
            AudioSeconds = audioSeconds,
            DecodeSeconds = decodeSeconds,
            ModelSeconds = timings.Model.TotalSeconds,
            CtcSeconds = timings.CtcDecoding.TotalSeconds,
            CtcAloneSeconds = ctcAlone,
            PostSeconds = timings.PostProcessing.TotalSeconds,
            WriteSeconds = timings.Writing.TotalSeconds,
            EndToEndSeconds = endToEnd,
            PeakRssMegabytes = peak,
            PeakRssBeforeWriteMegabytes = peakBeforeWrite,
            Words = result.Transcript.Words.Count,
            Device = result.Processing.Device,
        };
    }

    /// <summary>VmHWM of this process from /proc/self/status, in MB (0 where /proc is not available).</summary>
    public static double ReadPeakRssMegabytes()
    {
        const string file = "/proc/self/status";
        if (!File.Exists(file)) return 0;
        foreach (var line in File.ReadLines(file))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kb = double.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            return Math.Round(kb / 1024, 1);
        }
        return 0;
    }
}
