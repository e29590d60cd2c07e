using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Evaluation;

namespace MtlBatch.Corpus.Tests;

/// <summary>
/// The ASR peer is Debian's pocketsphinx (packages pocketsphinx and pocketsphinx-en-us, installed by the dev profile of
/// scripts/bootstrap.sh); these tests run the real binary and fail, naming the packages, when it is missing.
/// </summary>
public sealed class PocketSphinxPeerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mtlbatch-peer-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, true);

    private static PocketSphinxPeer Peer(PocketSphinxOptions? options = null) =>
        new(options ?? new PocketSphinxOptions(), new ProcessRunner(), NullLogger<PocketSphinxPeer>.Instance);

    [Fact]
    public async Task Pocketsphinx_transcribes_a_synthesised_clip_and_is_scored_by_the_same_scorer_as_the_model()
    {
        const string reference = "thank you for calling how can i help you today";
        var wav = Path.Combine(_folder, "audio", "u1.wav");
        var duration = await SpeechClips.SynthesizeAsync(wav, reference);
        string hypothesis;
        try
        {
            hypothesis = await Peer().TranscribeAsync(wav, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            Assert.Fail("The ASR peer needs the Debian packages pocketsphinx and pocketsphinx-en-us (scripts/bootstrap.sh dev profile): " + e.Message);
            throw;
        }
        Assert.False(string.IsNullOrWhiteSpace(ScoringText.Normalize(hypothesis)), $"pocketsphinx returned no words for '{reference}'");

        // Through the evaluator: its peer WER is the shared scorer on the normalised strings.
        await SpeechClips.WriteManifestAsync(Path.Combine(_folder, "test.jsonl"),
            [new { id = "u1", audio = "audio/u1.wav", duration, text = reference, speaker = "s1" }]);
        var report = await RealShapedSetsFixture.EvaluateAsync([_folder], Peer());
        var expected = new ErrorRate();
        expected.AddWords(reference, ScoringText.Normalize(hypothesis));
        Assert.Equal("pocketsphinx", report.Peer!.Name);
        Assert.Equal(1, report.Peer.TranscribedUtterances);
        Assert.Equal(expected.Value, report.Peer.Wer!.Value, 9);
        Assert.InRange(report.Peer.RealtimeFactor!.Value, 0.01, 1000);
    }

    [Fact]
    public async Task A_missing_recogniser_fails_naming_the_packages()
    {
        var wav = Path.Combine(_folder, "s.wav");
        await SpeechClips.SynthesizeAsync(wav, null);
        var missing = new PocketSphinxOptions { Executable = "pocketsphinx_continuous_not_installed" };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Peer(missing).TranscribeAsync(wav, CancellationToken.None));
        Assert.Contains("pocketsphinx-en-us", e.Message, StringComparison.Ordinal);
        var noModel = new PocketSphinxOptions();
        noModel.ExtraArguments.Add("-hmm");
        noModel.ExtraArguments.Add(_folder);
        var m = await Assert.ThrowsAsync<InvalidOperationException>(() => Peer(noModel).TranscribeAsync(wav, CancellationToken.None));
        Assert.Contains("pocketsphinx-en-us", m.Message, StringComparison.Ordinal);
    }
}
