using System.Runtime.CompilerServices;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Inference.Processing;

/// <summary>
/// One recording's audio as <see cref="RecordingProcessor"/> reads it: 16 kHz samples of the mix, or of one channel at a
/// time. Every read starts from the beginning (a split analysis reads each channel, the redacted audio reads the mix
/// again), so nothing the length of the recording is held in memory.
/// </summary>
public abstract class RecordingAudio
{
    protected RecordingAudio(RecordingInfo recording, int channels)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        Recording = recording;
        Channels = channels;
    }

    /// <summary>The recording block of the result (name, declared duration, source format, content hash).</summary>
    public RecordingInfo Recording { get; }

    /// <summary>How many channels can be read one by one (1: only the mix).</summary>
    public int Channels { get; }

    /// <summary>The mix (<paramref name="channel"/> null) or one channel (0-based), from the start.</summary>
    public abstract IAsyncEnumerable<float[]> ReadAsync(int? channel, CancellationToken cancellationToken);

    /// <summary>A file ffmpeg can read: probed and hashed here, decoded on each read (mix or one channel).</summary>
    public static async Task<RecordingAudio> OpenFileAsync(AudioDecoder decoder, string path, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        var media = await decoder.ProbeAsync(path, cancellationToken).ConfigureAwait(false);
        var sha = await Sha256.OfFileAsync(path, cancellationToken).ConfigureAwait(false);
        return new DecodedFile(decoder, media, media.ToRecordingInfo(name, sha));
    }

    /// <summary>
    /// Decoded 16 kHz WAV files, as the pipeline's intake stores them: the mix and, for a recording split into channels,
    /// one file per channel.
    /// </summary>
    public static RecordingAudio FromWavFiles(RecordingInfo recording, string mixedWav, IReadOnlyList<string> channelWavs) =>
        new WavFiles(recording, mixedWav, channelWavs ?? throw new ArgumentNullException(nameof(channelWavs)));

    /// <summary>Mono 16 kHz samples in memory (evaluation sets); the recording block is made from their length.</summary>
    public static RecordingAudio FromSamples(string name, float[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return new Samples(new RecordingInfo
        {
            Name = name, DurationSeconds = samples.Length / (double)AudioDecoder.SampleRate, SampleRate = AudioDecoder.SampleRate, Channels = 1, Sha256 = "",
        }, samples);
    }

    private sealed class DecodedFile(AudioDecoder decoder, MediaInfo media, RecordingInfo recording) : RecordingAudio(recording, Math.Max(1, media.Channels))
    {
        public override IAsyncEnumerable<float[]> ReadAsync(int? channel, CancellationToken cancellationToken) =>
            decoder.DecodeAsync(media, channel, cancellationToken);
    }

    private sealed class WavFiles(RecordingInfo recording, string mixed, IReadOnlyList<string> channels)
        : RecordingAudio(recording, channels.Count > 1 ? channels.Count : 1)
    {
        public override IAsyncEnumerable<float[]> ReadAsync(int? channel, CancellationToken cancellationToken) =>
            WavReader.ReadBlocksAsync(channel is { } c && channels.Count > 1 ? channels[c] : mixed, AudioDecoder.SampleRate, cancellationToken);
    }

    private sealed class Samples(RecordingInfo recording, float[] samples) : RecordingAudio(recording, 1)
    {
        public override async IAsyncEnumerable<float[]> ReadAsync(int? channel, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < samples.Length; i += AudioDecoder.SampleRate)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return samples[i..Math.Min(samples.Length, i + AudioDecoder.SampleRate)];
            }
            await Task.CompletedTask.ConfigureAwait(false);
        }
    }
}
