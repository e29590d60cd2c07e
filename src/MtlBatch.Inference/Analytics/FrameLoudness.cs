using System.Runtime.CompilerServices;
using MtlBatch.Core;

namespace MtlBatch.Inference.Analytics;

/// <summary>
/// The mean square of every fixed-length frame of a sample stream, collected while the stream goes to the model
/// (<see cref="Tap"/>), so a speaker's loudness needs no second decode. 4 bytes per 40 ms frame: ~360 KB per hour.
/// </summary>
internal sealed class FrameLoudness(int frameSamples, int sampleRate)
{
    private readonly List<float> _meanSquares = [];
    private double _sum;
    private int _inFrame;

    public double FrameSeconds => (double)frameSamples / sampleRate;
    public int FrameCount => _meanSquares.Count + (_inFrame > 0 ? 1 : 0);

    /// <summary>Passes <paramref name="samples"/> through unchanged, measuring them on the way.</summary>
    public async IAsyncEnumerable<float[]> Tap(IAsyncEnumerable<float[]> samples, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var block in samples.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Add(block);
            yield return block;
        }
    }

    public void Add(ReadOnlySpan<float> block)
    {
        foreach (var s in block)
        {
            _sum += (double)s * s;
            if (++_inFrame == frameSamples) { _meanSquares.Add((float)(_sum / frameSamples)); _sum = 0; _inFrame = 0; }
        }
    }

    private double MeanSquare(int frame) => frame < _meanSquares.Count ? _meanSquares[frame] : _inFrame > 0 ? _sum / _inFrame : 0;

    /// <summary>
    /// RMS level in dBFS of the frames whose centre lies in <paramref name="spans"/> (20·log10 RMS: a full-scale square wave is
    /// 0 dBFS, a full-scale sine −3.01); null when no frame does. Digital silence is floored at −120 dBFS.
    /// </summary>
    public double? Dbfs(IEnumerable<TimeSpan2> spans)
    {
        double sum = 0; long frames = 0;
        var shift = FrameSeconds;
        foreach (var span in spans)
        {
            var first = Math.Max(0, (int)Math.Ceiling(span.Start / shift - 0.5));
            var last = Math.Min(FrameCount - 1, (int)Math.Ceiling(span.End / shift - 0.5) - 1);
            for (var f = first; f <= last; f++) { sum += MeanSquare(f); frames++; }
        }
        if (frames == 0) return null;
        return Math.Round(Math.Max(-120, 10 * Math.Log10(Math.Max(sum / frames, 1e-12))), 2);
    }
}
