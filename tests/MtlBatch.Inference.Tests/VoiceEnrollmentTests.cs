using System.CommandLine;
using MtlBatch.Audio;
using MtlBatch.Cli.Commands;
using MtlBatch.Core;
using MtlBatch.Inference.Voices;
using MtlBatch.Testing;

namespace MtlBatch.Inference.Tests;

/// <summary>
/// Enrolment and identification through the real model and the production analysis path (docs/voiceprints.md), with the
/// shipped defaults (threshold, minimum speech, two-voice check).
/// </summary>
public sealed class VoiceEnrollmentTests(GeneratedVoices voices) : IClassFixture<GeneratedVoices>, IDisposable
{
    private readonly string _out = TestPaths.NewTempDir("mtlbatch-voices-out");

    public void Dispose()
    {
        try { Directory.Delete(_out, recursive: true); } catch (IOException) { }
    }

    private static MtlModelFactory Factory() => MtlModelFactory.FromPath(TestPaths.ShippedModel,
        new MtlModelOptions { Device = DevicePreference.Cpu, LanguageModelPath = "off", WordLanguageModelPath = "off" });

    private static EnrollmentSource Wav(string path) => new(path, ct => WavReader.ReadBlocksAsync(path, cancellationToken: ct));

    /// <summary>Enrols "Dana" from the files with the shipped enrolment defaults, through the real analyzer.</summary>
    private static Task<Voiceprint> EnrollAsync(MtlModelFactory factory, params string[] files) =>
        new VoiceEnroller(factory.CreateAnalyzer(), new VoiceEnrollmentOptions()).EnrollAsync("Dana", [.. files.Select(Wav)], new AnalysisOptions(), CancellationToken.None);

    private static async Task<int> Cli(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(new VoicesCommand().Build());
        root.Subcommands.Add(new AnalyzeCommand().Build());
        return await root.Parse(args).InvokeAsync();
    }

    [TrainedModelFact]
    public async Task An_enrolled_voice_is_named_in_turns_captions_and_report_and_an_unknown_voice_is_not()
    {
        var store = Path.Combine(_out, "voices.json");
        Assert.Equal(0, await Cli(["voices", "enroll", "--name", "Dana", "--device", "cpu", "--voices", store, .. voices.Enrolment]));
        var document = await new VoiceprintFileStore(store).LoadAsync(CancellationToken.None);
        var dana = Assert.Single(document.Voices);
        Assert.Equal("Dana", dana.Name);
        Assert.InRange(dana.SpeechSeconds, new VoiceEnrollmentOptions().MinSpeechSeconds, 15);

        foreach (var input in new[] { voices.DanaProbe, voices.Unknown })
            Assert.Equal(0, await Cli("analyze", input, "--out", _out, "--device", "cpu", "--voices", store));

        var threshold = new VoiceIdentificationOptions().Threshold;
        var named = Path.Combine(_out, "dana-probe.wav");
        var result = MtlJson.Deserialize<AnalysisResult>(await File.ReadAllTextAsync(Path.Combine(named, ResultSchema.Files.Result)));
        var main = result.Speakers.OrderByDescending(s => s.TotalSeconds).First();
        Assert.Equal("Dana", main.SpeakerName);
        Assert.InRange(main.SpeakerScore!.Value, threshold, 1);
        Assert.All(result.Turns.Where(t => t.Speaker == main.Id), t => Assert.Equal("Dana", t.SpeakerName));
        Assert.Contains("<v Dana>", await File.ReadAllTextAsync(Path.Combine(named, ResultSchema.Files.Vtt)), StringComparison.Ordinal);
        Assert.Contains("Dana: ", await File.ReadAllTextAsync(Path.Combine(named, ResultSchema.Files.Srt)), StringComparison.Ordinal);
        Assert.Contains("<b class=\"who\" title=\"" + main.Id, await File.ReadAllTextAsync(Path.Combine(named, ResultSchema.Files.Report)), StringComparison.Ordinal);

        var unknown = MtlJson.Deserialize<AnalysisResult>(await File.ReadAllTextAsync(Path.Combine(_out, "unknown.wav", ResultSchema.Files.Result)));
        Assert.NotEmpty(unknown.Speakers);
        Assert.All(unknown.Speakers, s => Assert.Null(s.SpeakerName));
        Assert.All(unknown.Turns, t => Assert.Null(t.SpeakerName));
        Assert.DoesNotContain("Dana", await File.ReadAllTextAsync(Path.Combine(_out, "unknown.wav", ResultSchema.Files.Vtt)), StringComparison.Ordinal);
    }

    [TrainedModelFact]
    public async Task Enrolment_from_too_little_speech_is_refused_with_the_minimum()
    {
        using var factory = Factory();
        var error = await Assert.ThrowsAsync<VoiceEnrollmentException>(() => EnrollAsync(factory, voices.Short));
        Assert.Equal(VoiceEnrollmentException.TooShort, error.Code);
        Assert.Contains("at least 5 s", error.Message, StringComparison.Ordinal);

        // The CLI says so and exits non-zero, and stores nothing.
        var store = Path.Combine(_out, "voices.json");
        Assert.NotEqual(0, await Cli("voices", "enroll", "--name", "Dana", "--device", "cpu", "--voices", store, voices.Short));
        Assert.False(File.Exists(store));
    }

    [TrainedModelFact]
    public async Task Enrolment_audio_with_two_voices_is_refused()
    {
        using var factory = Factory();
        var error = await Assert.ThrowsAsync<VoiceEnrollmentException>(() => EnrollAsync(factory, voices.TwoVoices));
        Assert.Equal(VoiceEnrollmentException.SeveralVoices, error.Code);
        Assert.Contains("more than one voice", error.Message, StringComparison.Ordinal);

        // The same two voices as two files of one enrolment are refused too; Dana's own files are not.
        var files = await Assert.ThrowsAsync<VoiceEnrollmentException>(() => EnrollAsync(factory, voices.Enrolment[0], voices.Unknown));
        Assert.Equal(VoiceEnrollmentException.SeveralVoices, files.Code);
        var print = await EnrollAsync(factory, [.. voices.Enrolment]);
        Assert.Equal(factory.Model.Description.Version, print.ModelVersion);
    }
}
