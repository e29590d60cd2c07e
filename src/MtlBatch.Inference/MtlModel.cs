using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using MtlBatch.Core;

namespace MtlBatch.Inference;

/// <summary>
/// The multi-task ONNX model behind one <see cref="InferenceSession"/>. Create it through <see cref="MtlModelFactory"/>
/// (once per process: a session holds the weights and its thread pools). <see cref="Run"/> is thread-safe.
/// </summary>
internal sealed class MtlModel : IChunkModel, IDisposable
{
    private static readonly string[] InputNames = [ModelContract.AudioInput];
    private static readonly string[] ContractOutputs =
        [ModelContract.CharLogProbs, ModelContract.PhoneLogProbs, ModelContract.SpeakerFrames, ModelContract.EmotionLogits, ModelContract.VadLogits];
    private static readonly string[] ContractOutputsWithOverlap = [.. ContractOutputs, ModelContract.OverlapLogits];

    private readonly InferenceSession _session;
    private readonly string[] _outputNames;

    internal MtlModel(InferenceSession session, ModelDescription description, string device, string deviceReason)
    {
        _session = session;
        Description = description;
        Device = device;
        DeviceReason = deviceReason;
        _outputNames = description.HasOverlap ? ContractOutputsWithOverlap : ContractOutputs;
    }

    public ModelDescription Description { get; }

    /// <inheritdoc />
    public string Device { get; }

    /// <summary>Why <see cref="Device"/> was chosen (e.g. "requested", "CUDA unavailable: ...").</summary>
    public string DeviceReason { get; }

    public IReadOnlyList<ChunkFrames> Run(ReadOnlyMemory<float> audio, int batchSize, int samplesPerChunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (audio.Length < (long)batchSize * samplesPerChunk)
            throw new ArgumentException($"Need {batchSize} x {samplesPerChunk} samples, got {audio.Length}.", nameof(audio));

        var memory = MemoryMarshal.AsMemory(audio[..(batchSize * samplesPerChunk)]);
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, [batchSize, samplesPerChunk]);
        using var runOptions = new RunOptions();
        // ONNX Runtime cannot observe a CancellationToken; a registered terminate flag stops a long Run early.
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        using var outputs = _session.Run(runOptions, InputNames, [input], _outputNames);
        cancellationToken.ThrowIfCancellationRequested();

        var chars = outputs[0]; var phones = outputs[1]; var speaker = outputs[2]; var emotion = outputs[3]; var vad = outputs[4];
        var charShape = chars.GetTensorTypeAndShape().Shape;     // [B, Tc, Vc]
        var phoneShape = phones.GetTensorTypeAndShape().Shape;   // [B, Tc, Vp]
        var speakerShape = speaker.GetTensorTypeAndShape().Shape; // [B, T, E]
        var emotionShape = emotion.GetTensorTypeAndShape().Shape; // [B, T, K]
        var vadShape = vad.GetTensorTypeAndShape().Shape;        // [B, T]
        var overlap = _outputNames.Length > ContractOutputs.Length ? outputs[5] : null;
        int tc = (int)charShape[1], vc = (int)charShape[2], vp = (int)phoneShape[2];
        int t = (int)speakerShape[1], e = (int)speakerShape[2], k = (int)emotionShape[2];
        if (charShape[0] != batchSize || phoneShape[1] != tc || emotionShape[1] != t || vadShape[1] != t
            || (overlap is not null && overlap.GetTensorTypeAndShape().Shape[1] != t))
            throw new InvalidDataException($"Model output shapes do not follow the contract: chars {Fmt(charShape)}, phones {Fmt(phoneShape)}, speaker {Fmt(speakerShape)}, emotion {Fmt(emotionShape)}, vad {Fmt(vadShape)}.");

        var result = new ChunkFrames[batchSize];
        for (var b = 0; b < batchSize; b++)
        {
            result[b] = new ChunkFrames
            {
                CtcFrames = tc, CharVocab = vc, PhoneVocab = vp, Frames = t, SpeakerDim = e, EmotionCount = k,
                CharLogProbs = Slice(chars, b, tc * vc),
                PhoneLogProbs = Slice(phones, b, tc * vp),
                SpeakerFrames = Slice(speaker, b, t * e),
                EmotionLogits = Slice(emotion, b, t * k),
                VadLogits = Slice(vad, b, t),
                OverlapLogits = overlap is null ? null : Slice(overlap, b, t),
            };
        }
        return result;
    }

    private static float[] Slice(OrtValue value, int batchIndex, int perItem) =>
        value.GetTensorDataAsSpan<float>().Slice(batchIndex * perItem, perItem).ToArray();

    private static string Fmt(long[] shape) => "[" + string.Join(", ", shape) + "]";

    public void Dispose() => _session.Dispose();

    internal static ModelDescription Describe(InferenceSession session, string path)
    {
        var meta = session.ModelMetadata.CustomMetadataMap;
        string Get(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"Model {path} has no metadata '{key}' (see ModelContract.MetadataKeys).");
        string? Opt(string key) => meta.TryGetValue(key, out var v) ? v : null;
        static string[] Array(string json, string key) =>
            JsonSerializer.Deserialize<string[]>(json) ?? throw new InvalidDataException($"Model metadata '{key}' is not a JSON array of strings.");

        var description = new ModelDescription
        {
            Name = Opt(ModelContract.MetadataKeys.Name) ?? Path.GetFileNameWithoutExtension(path),
            Version = Opt(ModelContract.MetadataKeys.Version) ?? "0.0.0",
            Sha256 = HashFile(path),
            SampleRate = int.Parse(Opt(ModelContract.MetadataKeys.SampleRate) ?? "16000", System.Globalization.CultureInfo.InvariantCulture),
            FrameShift = double.Parse(Opt(ModelContract.MetadataKeys.FrameShift) ?? "0.04", System.Globalization.CultureInfo.InvariantCulture),
            CtcFrameShift = double.Parse(Opt(ModelContract.MetadataKeys.CtcFrameShift) ?? "0.02", System.Globalization.CultureInfo.InvariantCulture),
            Chars = Array(Get(ModelContract.MetadataKeys.Chars), ModelContract.MetadataKeys.Chars),
            Phonemes = Array(Get(ModelContract.MetadataKeys.Phonemes), ModelContract.MetadataKeys.Phonemes),
            Emotions = Array(Get(ModelContract.MetadataKeys.Emotions), ModelContract.MetadataKeys.Emotions),
            SpeakerDim = int.TryParse(Opt(ModelContract.MetadataKeys.SpeakerEmbeddingDim), out var dim) ? dim : 0,
            TrainingCard = Opt(ModelContract.MetadataKeys.TrainingCard),
            HasOverlap = session.OutputMetadata.ContainsKey(ModelContract.OverlapLogits),
        };
        description.Validate();
        return description;
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
