using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Evaluation;
using MtlBatch.Inference;
using MtlBatch.Inference.Voices;
using MtlBatch.Pipeline;
using Spectre.Console;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch voices enroll|list|remove|eval</c>: voiceprints of known people, so that analysis names their turns
/// (docs/voiceprints.md). The store is a JSON file (<c>--voices</c>) or, with <c>--storage</c>, the pipeline's blob.
/// </summary>
public sealed class VoicesCommand : ICliCommand
{
    private sealed class StoreOptions
    {
        public Option<FileInfo?> Voices { get; } = new("--voices") { Description = $"Voiceprint file (default {VoiceprintFileStore.DefaultPath})." };
        public Option<string?> Storage { get; } = new("--storage") { Description = "Use the pipeline's voiceprint blob instead of a file: a storage connection string, e.g. UseDevelopmentStorage=true." };
        public Option<string?> Prefix { get; } = new("--prefix") { Description = "The pipeline's storage name prefix (Storage__NamePrefix)." };

        public void AddTo(Command command)
        {
            command.Options.Add(Voices);
            command.Options.Add(Storage);
            command.Options.Add(Prefix);
        }

        public IVoiceprintStore Open(ParseResult parse, ILoggerFactory logging)
        {
            if (parse.GetValue(Storage) is { } connection)
            {
                var storage = PipelineStorage.Create(new StorageOptions { ConnectionString = connection, NamePrefix = parse.GetValue(Prefix) ?? "" });
                return new BlobVoiceprintStore(storage, CliConfiguration.Bind<VoiceprintStoreOptions>(VoiceprintStoreOptions.SectionName), logging.CreateLogger<BlobVoiceprintStore>());
            }
            return new VoiceprintFileStore(parse.GetValue(Voices)?.FullName ?? VoiceprintFileStore.DefaultPath);
        }
    }

    public Command Build()
    {
        var command = new Command("voices", "Voiceprints: enrol known voices, list and remove them, measure identification (docs/voiceprints.md).");
        command.Subcommands.Add(Enroll());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(Eval());
        return command;
    }

    private static Command Enroll()
    {
        var name = new Option<string>("--name") { Description = "The person's name, as it should appear in turns and captions.", Required = true };
        var files = new Argument<string[]>("files") { Description = "Recordings of this person alone (several seconds of speech in all).", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string?>("--model") { Description = "ONNX model (default: the bundled one). Voiceprints are kept per model version." };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Auto };
        var store = new StoreOptions();
        var command = new Command("enroll", "Enrol a voice from recordings of one person (refused when too short or when they hold more than one voice).");
        command.Arguments.Add(files);
        command.Options.Add(name);
        command.Options.Add(model);
        command.Options.Add(device);
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger<VoicesCommand>();
            var voiceName = parse.GetValue(name)!.Trim();
            var paths = parse.GetValue(files)!;
            if (voiceName.Length == 0)
            {
                logger.LogError("--name must not be empty");
                return ExitCodes.InvalidConfiguration;
            }
            if (paths.FirstOrDefault(p => !File.Exists(p)) is { } missing)
            {
                logger.LogError("Enrolment file {File} does not exist", missing);
                return ExitCodes.InvalidConfiguration;
            }
            var enrollment = CliConfiguration.Bind<VoiceEnrollmentOptions>(VoiceEnrollmentOptions.SectionName);
            var voices = store.Open(parse, logging);
            using var factory = MtlModelFactory.FromPath(parse.GetValue(model) ?? ModelLocator.FindDefault(),
                new MtlModelOptions { Device = parse.GetValue(device), LanguageModelPath = "off", WordLanguageModelPath = "off" }, logging);
            var limits = CliConfiguration.Bind<InputLimits>(InputLimits.SectionName);
            var decoder = new AudioDecoder(CliConfiguration.Bind<AudioDecoderOptions>(AudioDecoderOptions.SectionName), limits, logging.CreateLogger<AudioDecoder>());
            var sources = new List<EnrollmentSource>();
            foreach (var path in paths)
            {
                MediaInfo media;
                try { media = await decoder.ProbeAsync(path, ct).ConfigureAwait(false); }
                catch (MtlBatchException ex)
                {
                    logger.LogError("Cannot read {File}: [{Code}] {Message}", path, ex.Code, ex.Message);
                    return ExitCodes.Failures;
                }
                sources.Add(new EnrollmentSource(path, c => decoder.DecodeAsync(media, null, c)));
            }
            var enroller = new VoiceEnroller(factory.CreateAnalyzer(), enrollment, logging.CreateLogger<VoiceEnroller>());
            Voiceprint voice;
            try { voice = await enroller.EnrollAsync(voiceName, sources, new AnalysisOptions(), ct).ConfigureAwait(false); }
            catch (VoiceEnrollmentException ex)
            {
                logger.LogError("Enrolment refused ({Code}): {Reason}", ex.Code, ex.Message);
                return ExitCodes.Failures;
            }
            catch (MtlBatchException ex)
            {
                logger.LogError("Cannot decode the enrolment audio: [{Code}] {Message}", ex.Code, ex.Message);
                return ExitCodes.Failures;
            }
            var document = await voices.LoadAsync(ct).ConfigureAwait(false);
            await voices.SaveAsync(document.With(voice), ct).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"enrolled {voice.Name}: {voice.SpeechSeconds:F1} s of speech from {paths.Length} file(s), model {voice.ModelName} {voice.ModelVersion} -> {voices.Location}"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var model = new Option<string?>("--model") { Description = "The model whose version the voices are checked against (default: the bundled one)." };
        var store = new StoreOptions();
        var command = new Command("list", "List enrolled voices; voices enrolled with another model version are marked as needing re-enrolment.");
        command.Options.Add(model);
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var voices = store.Open(parse, logging);
            var document = await voices.LoadAsync(ct).ConfigureAwait(false);
            ModelInfo current;
            using (var factory = MtlModelFactory.FromPath(parse.GetValue(model) ?? ModelLocator.FindDefault(),
                       new MtlModelOptions { Device = DevicePreference.Cpu, LanguageModelPath = "off", WordLanguageModelPath = "off" }, logging))
                current = factory.Model.Description.ToModelInfo();
            var stale = document.StaleFor(current);
            if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
            var table = new Table().AddColumns("name", "model", "speech", "files", "enrolled", "status");
            foreach (var v in document.Voices)
            {
                var status = v.IsFor(current) ? "[green]ok[/]"
                    : stale.Contains(v) ? $"[yellow]needs re-enrolment for {Markup.Escape(current.Version)}[/]"
                    : "[grey]older model version (re-enrolled)[/]";
                table.AddRow(Markup.Escape(v.Name), Markup.Escape($"{v.ModelName} {v.ModelVersion}"), string.Create(CultureInfo.InvariantCulture, $"{v.SpeechSeconds:F1} s"),
                    v.Sources.Count.ToString(CultureInfo.InvariantCulture), v.EnrolledAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), status);
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{document.Voices.Count} voiceprint(s) in {voices.Location}; {document.UsableWith(current).Count} usable with {current.Name} {current.Version}" +
                (stale.Count > 0 ? $"; re-enrol {string.Join(", ", stale.Select(v => v.Name).Distinct(VoiceprintDocument.NameComparer))} (mtlbatch voices enroll --name NAME FILE...)" : ""));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Option<string>("--name") { Description = "The voice to remove (every model version of it).", Required = true };
        var store = new StoreOptions();
        var command = new Command("remove", "Remove an enrolled voice.");
        command.Options.Add(name);
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger<VoicesCommand>();
            var voices = store.Open(parse, logging);
            var document = (await voices.LoadAsync(ct).ConfigureAwait(false)).Without(parse.GetValue(name)!, out var removed);
            if (removed == 0)
            {
                logger.LogError("No voice named {Name} in {Store}", parse.GetValue(name), voices.Location);
                return ExitCodes.Failures;
            }
            await voices.SaveAsync(document, ct).ConfigureAwait(false);
            Console.WriteLine($"removed {parse.GetValue(name)} ({removed} voiceprint(s)) from {voices.Location}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Eval()
    {
        var set = new Option<string[]>("--set") { Description = "Corpus folder(s) with held-out speakers (repeat or comma list).", Required = true };
        var manifest = new Option<string>("--manifest") { Description = "valid.jsonl to choose the threshold, test.jsonl to report it.", DefaultValueFactory = _ => "test.jsonl" };
        var threshold = new Option<double>("--threshold") { Description = "The operating point reported first.", DefaultValueFactory = _ => new VoiceIdentificationOptions().Threshold };
        var chooseFar = new Option<double?>("--choose-far") { Description = "Also report the lowest threshold whose false-accept rate is at most this (e.g. 0.05; run it on valid.jsonl)." };
        var enrollSeconds = new Option<double>("--enroll-seconds") { Description = "Labelled speech per enrolment (the speaker's first utterances).", DefaultValueFactory = _ => new VoiceprintEvaluationOptions().EnrollSpeechSeconds };
        var probeSeconds = new Option<double>("--probe-seconds") { Description = "Audio per probe (the remaining utterances, concatenated).", DefaultValueFactory = _ => new VoiceprintEvaluationOptions().ProbeSeconds };
        var model = new Option<string?>("--model") { Description = "ONNX model (default: the bundled one)." };
        var device = new Option<DevicePreference>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => DevicePreference.Auto };
        var output = new Option<FileInfo?>("--out") { Description = "Write the report as JSON here." };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Write the markdown table here (printed either way)." };
        var command = new Command("eval", "Measure identification on held-out speakers: half are enrolled, the rest are impostors; accuracy and false-accept rate over thresholds.");
        foreach (var o in new Option[] { set, manifest, threshold, chooseFar, enrollSeconds, probeSeconds, model, device, output, markdown }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create();
            using var factory = MtlModelFactory.FromPath(parse.GetValue(model) ?? ModelLocator.FindDefault(),
                new MtlModelOptions { Device = parse.GetValue(device), LanguageModelPath = "off", WordLanguageModelPath = "off" }, logging);
            var options = new VoiceprintEvaluationOptions
            {
                UtteranceManifest = parse.GetValue(manifest)!, Threshold = parse.GetValue(threshold), ChooseForFalseAcceptRate = parse.GetValue(chooseFar),
                EnrollSpeechSeconds = parse.GetValue(enrollSeconds), ProbeSeconds = parse.GetValue(probeSeconds),
                Enrollment = CliConfiguration.Bind<VoiceEnrollmentOptions>(VoiceEnrollmentOptions.SectionName),
            };
            var sets = (parse.GetValue(set) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(Path.GetFullPath).ToArray();
            var report = await new VoiceprintEvaluator(factory, logging).EvaluateAsync(sets, options, ct).ConfigureAwait(false);
            var tables = VoiceprintEvaluator.Markdown(report);
            Console.WriteLine(tables);
            if (parse.GetValue(markdown) is { } md) await File.WriteAllTextAsync(md.FullName, tables, ct).ConfigureAwait(false);
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, MtlJson.Serialize(report), ct).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
