using System.Diagnostics;
using MtlBatch.Audio;
using MtlBatch.Core;
using MtlBatch.Inference.Processing;

namespace MtlBatch.Inference.Tests;

/// <summary>The public library API (SpeechModel → builder → processor) on the bundled model and a real file, through ffmpeg.</summary>
public sealed class SpeechProcessorTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("processor");
    private readonly MtlModelFactory _model = SpeechModel.FromPath(TestPaths.AnyModel, new MtlModelOptions { Device = DevicePreference.Cpu, IntraOpThreads = 2 });

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Sample(int channels)
    {
        var path = Path.Combine(_dir, $"sample-{channels}ch.wav");
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y", "-i", Path.Combine(TestPaths.RepoRoot, "samples", "conversation.wav"), "-t", "20", "-ac", $"{channels}", "-ar", "16000", path })
            info.ArgumentList.Add(a);
        using var ffmpeg = Process.Start(info)!;
        ffmpeg.WaitForExit();
        Assert.Equal(0, ffmpeg.ExitCode);
        return path;
    }

    [Fact]
    public async Task A_file_analysed_through_the_processor_matches_the_analyzer_and_its_streamed_words()
    {
        var file = Sample(1);
        var processor = _model.CreateBuilder().WithSpeakers(1, 4).Build();

        var result = await processor.AnalyzeAsync(file, CancellationToken.None);
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());
        var media = await decoder.ProbeAsync(file, CancellationToken.None);
        var direct = await _model.CreateAnalyzer().AnalyzeAsync(decoder.DecodeAsync(media, null, CancellationToken.None), media.ToRecordingInfo("x", ""),
            new AnalysisOptions { MinSpeakers = 1, MaxSpeakers = 4 }, null, CancellationToken.None);
        var streamed = new List<SegmentPartial>();
        await foreach (var w in processor.StreamWordsAsync(file, CancellationToken.None)) streamed.Add(w);

        Assert.NotEmpty(result.Transcript.Words);
        Assert.Equal(direct.Transcript.Words.Select(w => (w.Text, w.Start)), result.Transcript.Words.Select(w => (w.Text, w.Start)));
        Assert.Equal(result.Transcript.Words.Select(w => w.Text), streamed.Select(w => w.Text));
        Assert.Equal("sample-1ch.wav", result.Recording.Name);
        Assert.Equal(64, result.Recording.Sha256.Length);
        Assert.InRange(result.Speakers.Count, 1, 4);
    }

    [Fact]
    public async Task Split_channels_give_one_speaker_per_channel_with_its_role()
    {
        var processor = _model.CreateBuilder().WithSplitChannels("agent", "customer").Build();
        var result = await processor.AnalyzeAsync(Sample(2), CancellationToken.None);
        Assert.Equal(["agent", "customer"], result.Speakers.Select(s => s.Role));
    }

    [Fact]
    public void Bad_settings_are_refused_when_the_processor_is_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.CreateBuilder().WithSpeakers(3, 1).Build());
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.CreateBuilder().WithBeamWidth(0).Build());
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.CreateBuilder().WithSplitChannels("Agent!").Build());
        Assert.Throws<FileNotFoundException>(() => _model.CreateBuilder().WithVocabulary(Path.Combine(_dir, "missing.txt")).Build());
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.CreateBuilder().WithPostProcessing(p => p.Transcription.LmWeight = -1).Build());
    }

    [Fact]
    public async Task A_file_that_is_not_audio_fails_with_a_coded_error()
    {
        var bad = Path.Combine(_dir, "notes.wav");
        await File.WriteAllTextAsync(bad, "not audio at all");
        var processor = _model.CreateBuilder().Build();
        var error = await Assert.ThrowsAsync<MtlBatchException>(() => processor.AnalyzeAsync(bad, CancellationToken.None));
        Assert.Equal(ErrorCodes.UnsupportedMedia, error.Code);
    }
}
