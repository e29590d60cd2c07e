using System.Runtime.CompilerServices;
using MtlBatch.Audio;
using MtlBatch.Core;

namespace MtlBatch.Inference.PostProcessing;

/// <summary><c>redacted.wav</c>: the analysed audio (16 kHz mono) with every redacted span replaced by silence.</summary>
internal static class RedactedAudio
{
    /// <summary>
    /// Writes <paramref name="samples"/> to <paramref name="path"/> as 16-bit PCM with the samples inside <paramref name="spans"/>
    /// zeroed, through a temporary sibling that is renamed into place (a reader never sees half a file).
    /// </summary>
    public static async Task WriteAsync(string path, IAsyncEnumerable<float[]> samples, IReadOnlyList<RedactedSpan> spans, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await WavWriter.WriteAllAsync(temp, Silence(samples, spans, AudioDecoder.SampleRate, cancellationToken), WavSampleFormat.Pcm16,
                AudioDecoder.SampleRate, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The stream with the samples of <paramref name="spans"/> set to zero (blocks are copied, never changed in place).</summary>
    public static async IAsyncEnumerable<float[]> Silence(IAsyncEnumerable<float[]> samples, IReadOnlyList<RedactedSpan> spans, int sampleRate,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var ranges = spans.Select(s => (Start: (long)Math.Floor(s.Start * sampleRate), End: (long)Math.Ceiling(s.End * sampleRate)))
            .Where(r => r.End > r.Start).OrderBy(r => r.Start).ToList();
        long offset = 0;
        await foreach (var block in samples.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var blockEnd = offset + block.Length;
            float[]? copy = null;
            foreach (var (start, end) in ranges)
            {
                if (end <= offset || start >= blockEnd) continue;
                copy ??= (float[])block.Clone();
                var from = (int)(Math.Max(start, offset) - offset);
                var to = (int)(Math.Min(end, blockEnd) - offset);
                Array.Clear(copy, from, to - from);
            }
            offset = blockEnd;
            yield return copy ?? block;
        }
    }
}
