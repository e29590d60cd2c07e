using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Core;
using MtlBatch.Inference.Analytics;
using MtlBatch.Inference.PostProcessing;
using MtlBatch.Inference.Streaming;

namespace MtlBatch.Inference;

/// <summary>
/// Streams one recording through the model: overlapping chunks are cut from the incoming samples, batched per ONNX Runtime
/// call (the next batch is read while the current one runs), stitched into one frame stream and decoded region by region.
/// Memory stays flat in the recording's duration (see docs/inference.md). Thread-safe: each call has its own state.
/// </summary>
/// <param name="languageModel">Language scores fused into the word beam search (<see cref="MtlModelFactory.CreateScorer"/>); null = none.</param>
internal sealed class SpeechAnalyzer(IChunkModel model, PostProcessingOptions postProcessing, ILogger<SpeechAnalyzer>? logger = null,
    Ctc.ICtcPrefixScorer? languageModel = null) : ISpeechAnalyzer
{
    private readonly ILogger _logger = logger ?? NullLogger<SpeechAnalyzer>.Instance;
    private readonly Ctc.ICtcPrefixScorer? _fusion = languageModel;

    /// <summary>The language scores the word decoder uses, or null when decoding is acoustic only.</summary>
    public Ctc.ICtcPrefixScorer? LanguageModel => _fusion;

    public string Device => model.Device;
    public ModelInfo Model => model.Description.ToModelInfo();

    public Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
        IProgress<double>? progress, CancellationToken cancellationToken) =>
        AnalyzeAsync(samples, recording, options, progress, timings: null, cancellationToken);

    public async Task<AnalysisResult> AnalyzeAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
        IProgress<double>? progress, StageTimings? timings, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var meter = NewMeter();
        var (pass, seconds) = await RunPassAsync(meter.Tap(samples, cancellationToken), recording, options, progress, 0, 1, timings, cancellationToken).ConfigureAwait(false);
        var post = Stopwatch.GetTimestamp();
        var redactor = TranscriptRedactor.Create(options.Redaction);
        var analysis = ChannelAnalysis.FromPass(pass, model.Description, options, postProcessing, Duration(recording, seconds), fixedSpeaker: null, redactor);
        var loudness = analysis.Speakers.ToDictionary(s => s.Id, s => SpeakerLoudness(meter, analysis, s.Id), StringComparer.Ordinal);
        timings?.AddPost(StageTimings.Since(post));
        return Assemble(analysis, recording, seconds, startedAt, clock.Elapsed, progress, loudness, redactor);
    }

    /// <summary>
    /// Whisper.net-style streaming: yields each word as soon as it is final (its region is decoded and it cannot continue
    /// into the next one), long before the recording ends. Speakers, turns and emotions need the whole recording and are
    /// only in <see cref="AnalyzeAsync(IAsyncEnumerable{float[]}, RecordingInfo, AnalysisOptions, IProgress{double}?, CancellationToken)"/>'s result.
    /// </summary>
    public async IAsyncEnumerable<SegmentPartial> ProcessAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording, AnalysisOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<SegmentPartial>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var run = Task.Run(async () =>
        {
            try
            {
                await RunPassAsync(samples, recording, options, null, 0, 1, null, cancellationToken,
                    w => channel.Writer.TryWrite(new SegmentPartial(w.Text, w.Start, w.End, w.Confidence))).ConfigureAwait(false);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, cancellationToken);
        await foreach (var partial in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return partial;
        await run.ConfigureAwait(false);
    }

    /// <summary>
    /// Analyses each channel on its own (one speaker per channel, named ch1, ch2, ...) and merges words, turns and timelines
    /// in time order. <paramref name="channels"/> yields one sample stream per channel; they are consumed one after another.
    /// </summary>
    public Task<AnalysisResult> AnalyzeChannelsAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<float[]>>> channels,
        RecordingInfo recording, AnalysisOptions options, IProgress<double>? progress, CancellationToken cancellationToken) =>
        AnalyzeChannelsAsync(channels, recording, options, progress, timings: null, cancellationToken);

    /// <inheritdoc cref="AnalyzeChannelsAsync(IReadOnlyList{Func{CancellationToken, IAsyncEnumerable{float[]}}}, RecordingInfo, AnalysisOptions, IProgress{double}?, CancellationToken)"/>
    public async Task<AnalysisResult> AnalyzeChannelsAsync(IReadOnlyList<Func<CancellationToken, IAsyncEnumerable<float[]>>> channels,
        RecordingInfo recording, AnalysisOptions options, IProgress<double>? progress, StageTimings? timings, CancellationToken cancellationToken)
    {
        if (channels.Count == 0) throw new ArgumentException("At least one channel is needed.", nameof(channels));
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var parts = new List<ChannelAnalysis>(channels.Count);
        var loudness = new Dictionary<string, double?>(StringComparer.Ordinal);
        var redactor = TranscriptRedactor.Create(options.Redaction);
        if (options.ChannelRoles.Count > channels.Count)
            _logger.LogWarning("{Recording} has {Channels} channels but {Roles} channel roles were given; the extra roles are unused",
                recording.Name, channels.Count, options.ChannelRoles.Count);
        double seconds = 0;
        for (var c = 0; c < channels.Count; c++)
        {
            var meter = NewMeter();
            var (pass, channelSeconds) = await RunPassAsync(meter.Tap(channels[c](cancellationToken), cancellationToken), recording, options, progress,
                (double)c / channels.Count, 1.0 / channels.Count, timings, cancellationToken).ConfigureAwait(false);
            seconds = Math.Max(seconds, channelSeconds);
            var post = Stopwatch.GetTimestamp();
            var speaker = "ch" + (c + 1);
            // Each channel is redacted on its own: one speaker's digits are not broken up by the other's "mm-hm".
            var part = ChannelAnalysis.FromPass(pass, model.Description, options, postProcessing, Duration(recording, channelSeconds), speaker, redactor);
            if (c < options.ChannelRoles.Count) part = part.WithRole(options.ChannelRoles[c]);
            loudness[speaker] = SpeakerLoudness(meter, part, speaker);
            parts.Add(part);
            timings?.AddPost(StageTimings.Since(post));
            _logger.LogInformation("Channel {Channel} of {Recording}: {Words} words, {Seconds:F1} s", c + 1, recording.Name, parts[^1].Words.Count, channelSeconds);
        }
        return Assemble(ChannelAnalysis.Merge(parts), recording, seconds, startedAt, clock.Elapsed, progress, loudness, redactor);
    }

    private FrameLoudness NewMeter()
    {
        var description = model.Description;
        return new FrameLoudness((int)Math.Round(description.FrameShift * description.SampleRate), description.SampleRate);
    }

    /// <summary>The level of <paramref name="speaker"/>'s voiced audio: frames inside both its turns and the voice activity.</summary>
    private static double? SpeakerLoudness(FrameLoudness meter, ChannelAnalysis analysis, string speaker) =>
        meter.Dbfs(Intervals.Intersect(
            Intervals.Union(analysis.Turns.Where(t => t.Speaker == speaker).Select(t => new TimeSpan2(t.Start, t.End))),
            Intervals.Union(analysis.VoiceActivity)));

    private static double Duration(RecordingInfo recording, double decodedSeconds) =>
        recording.DurationSeconds > 0 ? recording.DurationSeconds : decodedSeconds;

    private AnalysisResult Assemble(ChannelAnalysis a, RecordingInfo recording, double decodedSeconds, DateTimeOffset startedAt, TimeSpan elapsed,
        IProgress<double>? progress, IReadOnlyDictionary<string, double?> loudness, TranscriptRedactor? redactor)
    {
        var duration = Duration(recording, decodedSeconds);
        progress?.Report(1);
        return new AnalysisResult
        {
            Recording = recording with { DurationSeconds = duration },
            Model = Model,
            Processing = new ProcessingInfo
            {
                Device = Device,
                StartedAt = startedAt,
                CompletedAt = startedAt + elapsed,
                RealtimeFactor = Math.Round(duration / Math.Max(elapsed.TotalSeconds, 1e-6), 2),
            },
            Transcript = new Transcript { Text = string.Join(' ', a.Words.Select(w => w.Text)), Words = a.Words },
            Phonemes = a.Phonemes,
            Speakers = a.Speakers,
            Turns = a.Turns,
            Emotions = new EmotionTrack { Labels = model.Description.Emotions, Timeline = a.Timeline },
            VoiceActivity = a.VoiceActivity,
            SpeakerEmbeddings = a.SpeakerEmbeddings,
            Analytics = TalkAnalyticsCalculator.Compute(a.Speakers, a.Turns, a.Words, duration, loudness),
            Redaction = redactor is null ? null : new RedactionSummary { Categories = redactor.CategoryNames, Spans = a.Redacted },
        };
    }

    /// <summary>Chunks, batches, runs and stitches one stream; returns the finished pass and the decoded duration in seconds.</summary>
    private async Task<(RecordingPass Pass, double Seconds)> RunPassAsync(IAsyncEnumerable<float[]> samples, RecordingInfo recording,
        AnalysisOptions options, IProgress<double>? progress, double progressBase, double progressScale, StageTimings? timings,
        CancellationToken cancellationToken, Action<Ctc.DecodedWord>? onWord = null)
    {
        options.Validate();
        var description = model.Description;
        var geometry = ChunkGeometry.Create(options, description);
        var pass = new RecordingPass(description, geometry, options, postProcessing, timings, onWord, _fusion);
        var chunk = geometry.ChunkSamples;
        var batchSize = options.BatchSize > 0 ? options.BatchSize : model.Device == "cuda" ? 4 : 1;
        var expectedSamples = Math.Max(1, recording.DurationSeconds * description.SampleRate);

        var buffers = new[] { new float[batchSize * chunk], new float[batchSize * chunk] };
        var starts = new[] { new long[batchSize], new long[batchSize] };
        var current = 0; var filled = 0;
        Task<IReadOnlyList<ChunkFrames>>? running = null; long[]? runningStarts = null;

        // The sample window always starts at the next chunk to cut and holds at most one chunk plus one incoming block.
        var window = new float[chunk * 2];
        var windowCount = 0; long windowStart = 0; long total = 0; long nextChunk = 0;

        async Task SubmitAsync(int count, int samplesPerChunk)
        {
            var buffer = buffers[current]; var batchStarts = starts[current];
            var previous = running; var previousStarts = runningStarts;
            running = Task.Run(() =>
            {
                var t0 = Stopwatch.GetTimestamp();
                var outputs = model.Run(buffer.AsMemory(0, count * samplesPerChunk), count, samplesPerChunk, cancellationToken);
                timings?.AddModel(StageTimings.Since(t0));
                return outputs;
            }, cancellationToken);
            runningStarts = batchStarts;
            current ^= 1; filled = 0;
            if (previous is not null) Stitch(await previous.ConfigureAwait(false), previousStarts!);
        }

        void Stitch(IReadOnlyList<ChunkFrames> outputs, long[] chunkStarts)
        {
            for (var i = 0; i < outputs.Count; i++) pass.Stitcher.Add(outputs[i], chunkStarts[i]);
        }

        await using (var e = samples.GetAsyncEnumerator(cancellationToken))
        {
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                var more = await e.MoveNextAsync().ConfigureAwait(false);
                timings?.AddDecode(StageTimings.Since(t0));
                if (!more) break;
                var block = e.Current;
                if (block.Length == 0) continue;
                if (windowCount + block.Length > window.Length) Array.Resize(ref window, Math.Max(window.Length * 2, windowCount + block.Length));
                block.CopyTo(window, windowCount);
                windowCount += block.Length;
                total += block.Length;

                while (windowCount >= chunk)
                {
                    Array.Copy(window, 0, buffers[current], filled * chunk, chunk);
                    starts[current][filled++] = geometry.ChunkStart(nextChunk);
                    nextChunk++;
                    var drop = (int)(geometry.ChunkStart(nextChunk) - windowStart);
                    Array.Copy(window, drop, window, 0, windowCount - drop);
                    windowCount -= drop; windowStart += drop;
                    if (filled == batchSize)
                    {
                        await SubmitAsync(batchSize, chunk).ConfigureAwait(false);
                        progress?.Report(progressBase + progressScale * Math.Min(0.99, windowStart / expectedSamples));
                    }
                }
            }
        }

        if (total == 0) throw new MtlBatchException(ErrorCodes.EmptyAudio, $"{recording.Name} contains no audio samples.");

        // The tail: a last chunk if the audio goes on past the last full chunk (zero-padded to the batch's chunk length).
        var lastEnd = nextChunk == 0 ? 0 : geometry.ChunkStart(nextChunk - 1) + chunk;
        if (nextChunk == 0 && filled == 0)
        {
            // The whole recording is shorter than one chunk: run it at its own length (rounded up to whole frames), not padded.
            var length = (int)((total + geometry.FrameSamples - 1) / geometry.FrameSamples * geometry.FrameSamples);
            Array.Copy(window, 0, buffers[current], 0, windowCount);
            Array.Clear(buffers[current], windowCount, length - windowCount);
            starts[current][filled++] = 0;
            await SubmitAsync(1, length).ConfigureAwait(false);
        }
        else
        {
            if (lastEnd < total)
            {
                Array.Copy(window, 0, buffers[current], filled * chunk, windowCount);
                Array.Clear(buffers[current], filled * chunk + windowCount, chunk - windowCount);
                starts[current][filled++] = geometry.ChunkStart(nextChunk);
            }
            if (filled > 0) await SubmitAsync(filled, chunk).ConfigureAwait(false);
        }

        Stitch(await running!.ConfigureAwait(false), runningStarts!);
        var t1 = Stopwatch.GetTimestamp();
        pass.Stitcher.Complete(total);
        timings?.AddCtc(StageTimings.Since(t1));
        progress?.Report(progressBase + progressScale * 0.99);
        _logger.LogDebug("Analysed {Recording}: {Samples} samples in {Chunks} chunks, {Words} words", recording.Name, total, nextChunk + 1, pass.Words.Count);
        return (pass, (double)total / description.SampleRate);
    }
}
