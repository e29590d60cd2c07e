using System.Diagnostics;
using MtlBatch.Core;

namespace MtlBatch.Audio.Tests;

[CollectionDefinition(nameof(MemorySensitive), DisableParallelization = true)]
public sealed class MemorySensitive;

/// <summary>Runs alone (no parallel tests) so the process working set reflects only this decode.</summary>
[Collection(nameof(MemorySensitive))]
public sealed class StreamingTests : IDisposable
{
    private const long FiftyMegabytes = 50L * 1024 * 1024;
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Twenty_minutes_decode_with_exact_sample_count_and_flat_memory()
    {
        // 20 min of quiet white noise: 19.2 M samples = 77 MB as float32; a decoder buffering the whole file fails below.
        var path = _dir.File("long.flac");
        Tools.Ffmpeg("-f", "lavfi", "-i", "anoisesrc=duration=1200:color=white:sample_rate=16000:amplitude=0.02:seed=1", "-c:a", "flac", "-compression_level", "0", path);
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());
        using var self = Process.GetCurrentProcess();

        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        self.Refresh();
        var workingSetBefore = self.WorkingSet64;
        long samples = 0, blocks = 0, maxManagedGrowth = 0, maxWorkingSetGrowth = 0;
        double energy = 0;
        await foreach (var block in decoder.DecodeAsync(path, null, CancellationToken.None))
        {
            samples += block.Length;
            foreach (var v in block) energy += v * v;
            if (++blocks % 100 == 0)
            {
                maxManagedGrowth = Math.Max(maxManagedGrowth, GC.GetTotalMemory(forceFullCollection: true) - managedBefore);
                self.Refresh();
                maxWorkingSetGrowth = Math.Max(maxWorkingSetGrowth, self.WorkingSet64 - workingSetBefore);
            }
        }

        Assert.Equal(1200L * AudioDecoder.SampleRate, samples);
        Assert.Equal(1200, blocks);
        Assert.InRange(Math.Sqrt(energy / samples), 0.005, 0.03); // the noise survived (uniform noise at 0.02: RMS 0.0115)
        Assert.True(maxManagedGrowth < FiftyMegabytes, $"managed heap grew by {maxManagedGrowth / 1e6:0.0} MB");
        Assert.True(maxWorkingSetGrowth < FiftyMegabytes, $"working set grew by {maxWorkingSetGrowth / 1e6:0.0} MB");
        Console.WriteLine($"20 min decode: managed growth {maxManagedGrowth / 1e6:0.0} MB, working-set growth {maxWorkingSetGrowth / 1e6:0.0} MB");
    }
}
