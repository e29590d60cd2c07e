using System.Text.Json;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;

namespace MtlBatch.Inference.Tests;

public class OnnxModelTests
{
    /// <summary>The parity files are written by models/training/export.py --parity-out from the PyTorch model.</summary>
    [Theory]
    [InlineData("models/dev/mtl-untrained.onnx", "models/dev/mtl-untrained.parity.json")]
    [InlineData("models/mtl-small.onnx", "models/mtl-small.parity.json")]
    public void Onnx_runtime_matches_pytorch_on_every_head(string modelPath, string parityPath)
    {
        using var factory = MtlModelFactory.FromPath(Path.Combine(TestPaths.RepoRoot, modelPath), new MtlModelOptions { Device = DevicePreference.Cpu });
        using var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, parityPath)));
        var tolerance = parity.RootElement.GetProperty("tolerance").GetDouble();
        Assert.True(tolerance <= 1e-3);
        var cases = parity.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.NotEmpty(cases);

        foreach (var c in cases)
        {
            var input = c.GetProperty("input");
            var shape = input.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var audio = input.GetProperty("data").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var outputs = factory.Model.Run(audio, shape[0], shape[1], CancellationToken.None);

            // A model has the optional overlap output exactly when its parity reference (the PyTorch model) has it.
            Assert.Equal(c.GetProperty("outputs").TryGetProperty(ModelContract.OverlapLogits, out _), factory.Model.Description.HasOverlap);
            Assert.All(outputs, o => Assert.Equal(factory.Model.Description.HasOverlap, o.OverlapLogits is not null));
            foreach (var head in c.GetProperty("outputs").EnumerateObject())
            {
                var expectedShape = head.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var expected = head.Value.GetProperty("data").EnumerateArray().Select(x => x.GetSingle()).ToArray();
                var (actualShape, actual) = head.Name switch
                {
                    ModelContract.CharLogProbs => (new[] { outputs.Count, outputs[0].CtcFrames, outputs[0].CharVocab }, outputs.SelectMany(o => o.CharLogProbs)),
                    ModelContract.PhoneLogProbs => (new[] { outputs.Count, outputs[0].CtcFrames, outputs[0].PhoneVocab }, outputs.SelectMany(o => o.PhoneLogProbs)),
                    ModelContract.SpeakerFrames => (new[] { outputs.Count, outputs[0].Frames, outputs[0].SpeakerDim }, outputs.SelectMany(o => o.SpeakerFrames)),
                    ModelContract.EmotionLogits => (new[] { outputs.Count, outputs[0].Frames, outputs[0].EmotionCount }, outputs.SelectMany(o => o.EmotionLogits)),
                    ModelContract.VadLogits => (new[] { outputs.Count, outputs[0].Frames }, outputs.SelectMany(o => o.VadLogits)),
                    ModelContract.OverlapLogits => (new[] { outputs.Count, outputs[0].Frames }, outputs.SelectMany(o => o.OverlapLogits ?? [])),
                    _ => throw new InvalidDataException("Unknown head " + head.Name),
                };
                Assert.Equal(expectedShape, actualShape);
                var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
                Assert.True(maxDiff <= tolerance, $"{c.GetProperty("name").GetString()} {head.Name}: max abs diff {maxDiff} > {tolerance}");
            }
        }
    }

    [Fact]
    public void Metadata_describes_the_model()
    {
        using var factory = MtlModelFactory.FromPath(TestPaths.DevModel, new MtlModelOptions { Device = DevicePreference.Cpu });
        var d = factory.Model.Description;
        Assert.Equal("<blank>", d.Chars[0]);
        Assert.Contains(" ", d.Chars);
        Assert.Equal("<blank>", d.Phonemes[0]);
        Assert.NotEmpty(d.Emotions);
        Assert.Equal((16000, 640, 320), (d.SampleRate, d.FrameSamples, d.CtcFrameSamples));
        Assert.Matches("^[0-9a-f]{64}$", d.Sha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(TestPaths.DevModel))), d.Sha256);
    }

    [Theory]
    [InlineData(DevicePreference.Cuda, LogLevel.Error)]
    [InlineData(DevicePreference.Auto, LogLevel.Warning)]
    public async Task Without_a_gpu_cuda_falls_back_to_cpu_and_says_so(DevicePreference preference, LogLevel levelWhenProviderFails)
    {
        // This machine class has no GPU (docs: CI and developer machines have no accelerator). On a GPU machine the
        // session really runs on CUDA and this test checks that instead.
        var logs = new CapturingLoggerFactory();
        using var factory = MtlModelFactory.FromPath(TestPaths.DevModel, new MtlModelOptions { Device = preference }, logs);
        if (factory.Model.Device == "cuda")
        {
            Assert.DoesNotContain("unavailable", factory.Model.DeviceReason, StringComparison.Ordinal);
            return;
        }

        Assert.Equal("cpu", factory.Model.Device);
        if (CudaLibraries.FindMissing().Count > 0)
        {
            // No CUDA libraries (the usual CPU machine): CUDA is not attempted. Auto says so at information level only;
            // an explicit cuda request that cannot be met is an error.
            Assert.Equal("CUDA libraries not found", factory.Model.DeviceReason);
            if (preference == DevicePreference.Cuda)
                Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("CPU", StringComparison.Ordinal));
            else
                Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
        }
        else
        {
            Assert.StartsWith("CUDA unavailable", factory.Model.DeviceReason);
            Assert.Contains(logs.Entries, e => e.Level == levelWhenProviderFails && e.Message.Contains("CPU", StringComparison.Ordinal));
        }
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Information && e.Message == $"device: cpu ({factory.Model.DeviceReason})");

        var analyzer = factory.CreateAnalyzer();
        Assert.Equal("cpu", analyzer.Device);
        var recording = new RecordingInfo { Name = "tone", DurationSeconds = 1, SampleRate = 16000, Channels = 1, Sha256 = new string('0', 64) };
        var result = await analyzer.AnalyzeAsync(Tone(16000), recording, new AnalysisOptions { Device = preference }, null, CancellationToken.None);
        Assert.Equal("cpu", result.Processing.Device);
    }

    [Fact]
    public void Cpu_never_tries_cuda()
    {
        var logs = new CapturingLoggerFactory();
        using var factory = MtlModelFactory.FromPath(TestPaths.DevModel, new MtlModelOptions { Device = DevicePreference.Cpu }, logs);
        Assert.Equal(("cpu", "requested"), (factory.Model.Device, factory.Model.DeviceReason));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Untrained_model_runs_end_to_end_over_several_chunks()
    {
        // Structure only (its outputs are random): 25 s through 8 s chunks gives a result whose times stay inside the audio.
        using var factory = MtlModelFactory.FromPath(TestPaths.DevModel, new MtlModelOptions { Device = DevicePreference.Cpu });
        var recording = new RecordingInfo { Name = "tone", DurationSeconds = 25, SampleRate = 16000, Channels = 1, Sha256 = new string('0', 64) };
        var result = await factory.CreateAnalyzer().AnalyzeAsync(Tone(25 * 16000), recording,
            new AnalysisOptions { ChunkSeconds = 8, ChunkOverlapSeconds = 1, BatchSize = 2 }, null, CancellationToken.None);
        Assert.All(result.Transcript.Words, w => Assert.InRange(w.Start, 0, w.End));
        Assert.All(result.Transcript.Words, w => Assert.InRange(w.End, w.Start, 25));
        Assert.True(result.Transcript.Words.Zip(result.Transcript.Words.Skip(1)).All(p => p.First.Start <= p.Second.Start));
        Assert.All(result.VoiceActivity, v => Assert.InRange(v.End, v.Start, 25));
        Assert.True(result.Processing.RealtimeFactor > 0);
    }

    private static async IAsyncEnumerable<float[]> Tone(int samples)
    {
        await Task.Yield();
        var block = new float[samples];
        for (var i = 0; i < samples; i++) block[i] = 0.3f * MathF.Sin(2 * MathF.PI * 220 * i / 16000f) * (1 + MathF.Sin(i / 3000f));
        yield return block;
    }
}
