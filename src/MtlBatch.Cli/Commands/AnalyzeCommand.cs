using System.CommandLine;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference;
using MtlBatch.Inference.Batch;
using MtlBatch.Inference.Processing;
using MtlBatch.Inference.Voices;
using Spectre.Console;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch analyze &lt;file|folder|archive&gt;</c>: transcripts, speaker turns and emotion timelines for every recording,
/// written to OUT/&lt;relative path without extension&gt;/. Exit code 0 when every input succeeded, 1 when any failed, 2 on usage errors.
/// </summary>
public sealed class AnalyzeCommand : ICliCommand
{
    public Command Build()
    {
        var input = new Argument<string>("input") { Description = "A recording, a folder of recordings, or a zip/tar/tar.gz archive." };
        var output = new Option<string>("--out") { Description = "Output folder (one sub-folder per recording).", DefaultValueFactory = _ => "out" };
        var model = new Option<string?>("--model") { Description = $"ONNX model (default: {ModelLocator.DefaultModelRelativePath} next to the executable, in the current folder or a parent)." };
        var device = new Option<DevicePreference>("--device") { Description = "auto (CUDA when available), cpu or cuda (falls back to CPU with an error line when CUDA is missing).", DefaultValueFactory = _ => DevicePreference.Auto };
        var minSpeakers = new Option<int>("--min-speakers") { Description = "Fewest speakers to find.", DefaultValueFactory = _ => 1 };
        var maxSpeakers = new Option<int>("--max-speakers") { Description = "Most speakers to find.", DefaultValueFactory = _ => 6 };
        var channels = new Option<ChannelMode>("--channels") { Description = "mix: downmix and diarize; split: one speaker per channel (ch1, ch2, ...).", DefaultValueFactory = _ => ChannelMode.Mix };
        var beam = new Option<int>("--beam") { Description = "CTC beam width (1 = greedy).", DefaultValueFactory = _ => new AnalysisOptions().BeamWidth };
        var batchSize = new Option<int?>("--batch-size") { Description = "Chunks (30 s each) per ONNX Runtime call (default: 1 on CPU, where batching gains nothing and costs ~80 MB per chunk; 4 on CUDA)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0 = one per core).", DefaultValueFactory = _ => 0 };
        var lm = new Option<string?>("--lm") { Description = "Character LM file, or off (default: <model>.charlm next to the model when present; weights from Analysis__PostProcessing__Transcription__LmWeight/LmLengthBonus)." };
        var lmWeight = new Option<double?>("--lm-weight") { Description = $"Character LM weight (0 = off; default {new TranscriptionOptions().LmWeight})." };
        var decoding = new DecoderCliOptions();
        var voices = new Option<FileInfo?>("--voices") { Description = "Voiceprint file (mtlbatch voices enroll): speakers that match an enrolled voice get its name (speakerName, speakerScore)." };
        var voiceThreshold = new Option<double?>("--voice-threshold") { Description = $"Lowest cosine similarity that names a speaker (default {new VoiceIdentificationOptions().Threshold}, measured in docs/voiceprints.md; env Voices__Threshold)." };
        var channelRoles = new Option<string?>("--channel-roles") { Description = "With --channels split: the role of channel 1, 2, ... (e.g. agent,customer), shown instead of ch1, ch2 in captions and the report." };
        var redact = new Option<string?>("--redact") { Description = "Redact card, phone, email and/or numbers (comma-separated; off by default): [REDACTED:CARD] etc. in every output, the original is never written." };
        var redactPhrases = new Option<string?>("--redact-phrases") { Description = "A text file of phrases to redact, one a line ([REDACTED:PHRASE])." };
        var redactLuhn = new Option<bool>("--redact-luhn") { Description = "Count a 13-19 digit run as a card number only when it passes the Luhn check (default: any such run)." };
        var redactedAudio = new Option<bool>("--redacted-audio") { Description = "Also write redacted.wav: the recording (16 kHz mono) with the redacted spans silenced." };

        var command = new Command("analyze", "Analyse recordings: words with times and confidences, speaker turns, emotion timeline.");
        command.Arguments.Add(input);
        foreach (var o in new Option[] { output, model, device, minSpeakers, maxSpeakers, channels, channelRoles, beam, threads, batchSize, lm, lmWeight,
                     redact, redactPhrases, redactLuhn, redactedAudio, voices, voiceThreshold }.Concat(decoding.All)) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var options = new AnalysisOptions
            {
                ModelPath = parse.GetValue(model), Device = parse.GetValue(device), MinSpeakers = parse.GetValue(minSpeakers),
                MaxSpeakers = parse.GetValue(maxSpeakers), Channels = parse.GetValue(channels), BeamWidth = parse.GetValue(beam),
                IntraOpThreads = parse.GetValue(threads), BatchSize = parse.GetValue(batchSize) ?? 0,
            };
            try
            {
                options.ChannelRoles = SplitList(parse.GetValue(channelRoles));
                options.Redaction = new RedactionOptions
                {
                    Categories = RedactionOptions.ParseCategories(parse.GetValue(redact)), PhrasesPath = parse.GetValue(redactPhrases),
                    RequireLuhn = parse.GetValue(redactLuhn), RedactedAudio = parse.GetValue(redactedAudio),
                };
            }
            catch (ArgumentOutOfRangeException ex)
            {
                await Console.Error.WriteLineAsync($"Invalid option: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var postProcessing = CliConfiguration.Bind<PostProcessingOptions>(PostProcessingOptions.SectionName);
            if (parse.GetValue(lmWeight) is { } a) postProcessing.Transcription.LmWeight = a;
            decoding.ApplyTo(parse, postProcessing.Transcription);
            var identification = CliConfiguration.Bind<VoiceIdentificationOptions>(VoiceIdentificationOptions.SectionName);
            if (parse.GetValue(voiceThreshold) is { } threshold) identification.Threshold = threshold;
            return await RunAsync(parse.GetValue(input)!, parse.GetValue(output)!, options, postProcessing,
                parse.GetValue(lm), parse.GetValue(decoding.WordLm), parse.GetValue(voices)?.FullName, identification, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string input, string outputRoot, AnalysisOptions options, PostProcessingOptions postProcessing,
        string? languageModel, string? wordLanguageModel, string? voicesPath, VoiceIdentificationOptions identification, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create();
        var logger = logging.CreateLogger<AnalyzeCommand>();
        var requestedBatch = options.BatchSize; // 0 = chosen by device once the model is loaded
        try
        {
            options.BatchSize = Math.Max(1, requestedBatch);
            options.Validate();
            if (options.ChannelRoles.Count > 0 && options.Channels != ChannelMode.Split)
                throw new ArgumentOutOfRangeException("--channel-roles", string.Join(',', options.ChannelRoles), "needs --channels split");
            postProcessing.Transcription.Validate();
            postProcessing.Diarization.Validate();
            identification.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            logger.LogError("Invalid option: {Reason}", ex.Message);
            return 2;
        }
        options.BatchSize = requestedBatch;
        if (!File.Exists(input) && !Directory.Exists(input))
        {
            logger.LogError("Input {Input} does not exist", input);
            return 2;
        }
        VoiceprintDocument? voiceprints = null;
        if (voicesPath is not null)
        {
            if (!File.Exists(voicesPath))
            {
                logger.LogError("Voiceprint file {VoicesPath} does not exist (enrol with mtlbatch voices enroll --voices FILE)", voicesPath);
                return 2;
            }
            try { voiceprints = await new VoiceprintFileStore(voicesPath).LoadAsync(cancellationToken).ConfigureAwait(false); }
            catch (InvalidDataException ex)
            {
                logger.LogError("Cannot read the voiceprints: {Reason}", ex.Message);
                return 2;
            }
        }

        MtlModelFactory factory;
        try
        {
            var modelOptions = MtlModelOptions.From(options);
            modelOptions.LanguageModelPath = languageModel;
            modelOptions.WordLanguageModelPath = wordLanguageModel;
            factory = MtlModelFactory.FromPath(options.ModelPath ?? ModelLocator.FindDefault(), modelOptions, logging);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            logger.LogError("Cannot load the model: {Reason}", ex.Message);
            return 2;
        }

        using (factory)
        {
            options.BatchSize = factory.BatchSizeFor(options.BatchSize);
            var limits = CliConfiguration.Bind<InputLimits>(InputLimits.SectionName);
            var inputs = new AudioInputs(new ArchiveExpander(CliConfiguration.Bind<ArchiveExpanderOptions>(ArchiveExpanderOptions.SectionName), limits, logging.CreateLogger<ArchiveExpander>()), logging.CreateLogger<AudioInputs>());
            var decoder = new AudioDecoder(CliConfiguration.Bind<AudioDecoderOptions>(AudioDecoderOptions.SectionName), limits, logging.CreateLogger<AudioDecoder>());
            VoiceIdentification? voices = null;
            if (voiceprints is not null)
            {
                var model = factory.Model.Description.ToModelInfo();
                logger.LogInformation("Voiceprints {VoicesPath}: {Usable} voice(s) for {Model} {ModelVersion}, threshold {Threshold:F2}",
                    voicesPath, voiceprints.UsableWith(model).Count, model.Name, model.Version, identification.Threshold);
                voices = new VoiceIdentification(new VoiceIdentifier(identification, logging.CreateLogger<VoiceIdentifier>()), voiceprints);
            }
            var processor = new RecordingProcessor(factory.CreateAnalyzer(postProcessing), logging.CreateLogger<RecordingProcessor>());
            var runner = new BatchAnalysisRunner(inputs, decoder, processor, logging.CreateLogger<BatchAnalysisRunner>(), voices);

            IReadOnlyList<BatchItemOutcome> outcomes;
            if (Console.IsOutputRedirected)
            {
                outcomes = await runner.RunAsync(input, outputRoot, options, new PlainProgress(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                outcomes = [];
                await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
                    outcomes = await runner.RunAsync(input, outputRoot, options, new SpectreProgress(ctx), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            }

            // A log file or pipe has no width: let the table be as wide as its content instead of Spectre's 80 columns.
            if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = RedirectedTableWidth;
            WriteSummary(outcomes);
            if (outcomes.Count == 0)
            {
                logger.LogError("No recordings found in {Input}", input);
                return 1;
            }
            return outcomes.All(o => o.Succeeded) ? 0 : 1;
        }
    }

    private const int RedirectedTableWidth = 240;

    private static List<string> SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.ToLowerInvariant())];

    private static void WriteSummary(IReadOnlyList<BatchItemOutcome> outcomes)
    {
        // The input column never wraps (a name broken mid-word reads as two names); very long names are elided in the middle.
        var table = new Table().AddColumn(new TableColumn("input").NoWrap()).AddColumns("duration", "words", "speakers", "device", "x realtime", "status");
        foreach (var o in outcomes)
        {
            table.AddRow(
                Markup.Escape(ConsoleText.ElideMiddle(o.Name, ConsoleText.MaxNameWidth)),
                o.Succeeded ? $"{o.DurationSeconds:F1} s" : "-",
                o.Succeeded ? o.Words.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
                o.Succeeded ? o.Speakers.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
                o.Device ?? "-",
                o.Succeeded ? $"{o.RealtimeFactor:F1}" : "-",
                o.Succeeded ? "[green]ok[/]" : $"[red]{Markup.Escape($"{o.ErrorCode}: {o.ErrorMessage}")}[/]");
        }
        AnsiConsole.Write(table);
        var failed = outcomes.Count(o => !o.Succeeded);
        AnsiConsole.MarkupLine(failed == 0 ? $"[green]{outcomes.Count} analysed[/]" : $"[red]{failed} of {outcomes.Count} failed[/]");
    }

    /// <summary>Progress when stdout is not a terminal (CI logs, pipes): one line per input, when it is done.</summary>
    private sealed class PlainProgress : IBatchProgress
    {
        public void ItemStarted(string name) { }

        public void ItemProgress(string name, double fraction) { }

        public void ItemCompleted(BatchItemOutcome o) => Console.WriteLine(o.Succeeded
            ? $"done {o.Name}: {o.DurationSeconds:F1} s, {o.Words} words, {o.Speakers} speakers, {o.Device}, {o.RealtimeFactor:F1}x realtime -> {o.OutputDirectory}"
            : $"FAILED {o.Name}: [{o.ErrorCode}] {o.ErrorMessage} -> {Path.Combine(o.OutputDirectory, ResultSchema.Files.Error)}");
    }

    /// <summary>One Spectre progress bar per recording, updated in place on the terminal.</summary>
    private sealed class SpectreProgress(ProgressContext context) : IBatchProgress
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void ItemStarted(string name)
        {
            lock (_tasks) _tasks[name] = context.AddTask(Markup.Escape(ConsoleText.ElideMiddle(name, ConsoleText.MaxNameWidth)), maxValue: 1.0);
        }

        public void ItemProgress(string name, double fraction)
        {
            lock (_tasks) if (_tasks.TryGetValue(name, out var task)) task.Value = Math.Max(task.Value, fraction);
        }

        public void ItemCompleted(BatchItemOutcome outcome)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(outcome.Name, out var task)) return;
                if (!outcome.Succeeded) task.Description = $"[red]{Markup.Escape(ConsoleText.ElideMiddle(outcome.Name, ConsoleText.MaxNameWidth))}[/]";
                task.Value = 1.0;
                task.StopTask();
            }
        }
    }
}
