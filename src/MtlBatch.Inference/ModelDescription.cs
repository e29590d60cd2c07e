using MtlBatch.Core;

namespace MtlBatch.Inference;

/// <summary>What a loaded model says about itself (ONNX metadata, see <see cref="ModelContract.MetadataKeys"/>) plus the file's hash.</summary>
public sealed record ModelDescription
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Sha256 { get; init; }
    public required int SampleRate { get; init; }
    /// <summary>Seconds per speaker/emotion/vad frame (0.04).</summary>
    public required double FrameShift { get; init; }
    /// <summary>Seconds per CTC frame (0.02).</summary>
    public required double CtcFrameShift { get; init; }
    /// <summary>Index 0 is the CTC blank; the space character is " ".</summary>
    public required IReadOnlyList<string> Chars { get; init; }
    /// <summary>Index 0 is the CTC blank.</summary>
    public required IReadOnlyList<string> Phonemes { get; init; }
    public required IReadOnlyList<string> Emotions { get; init; }
    public int SpeakerDim { get; init; }
    public string? TrainingCard { get; init; }
    /// <summary>The model has the optional <see cref="ModelContract.OverlapLogits"/> output (overlapped-speech detection).</summary>
    public bool HasOverlap { get; init; }

    public ModelInfo ToModelInfo() => new() { Name = Name, Version = Version, Sha256 = Sha256 };

    /// <summary>Samples per speaker/emotion/vad frame (640 at 16 kHz and 40 ms).</summary>
    public int FrameSamples => (int)Math.Round(FrameShift * SampleRate);

    /// <summary>Samples per CTC frame (320 at 16 kHz and 20 ms).</summary>
    public int CtcFrameSamples => (int)Math.Round(CtcFrameShift * SampleRate);

    /// <summary>CTC frames per speaker/emotion/vad frame (2).</summary>
    public int CtcFramesPerFrame => FrameSamples / CtcFrameSamples;

    /// <summary>Checks the invariants the chunking and stitching rely on.</summary>
    public void Validate()
    {
        if (SampleRate <= 0) throw new InvalidDataException($"Model sample rate {SampleRate} is not positive.");
        if (FrameSamples <= 0 || CtcFrameSamples <= 0 || FrameSamples % CtcFrameSamples != 0)
            throw new InvalidDataException($"Model frame shifts {FrameShift}s / {CtcFrameShift}s must be positive and the CTC shift must divide the frame shift.");
        if (Chars.Count < 2 || Phonemes.Count < 2 || Emotions.Count < 1)
            throw new InvalidDataException("Model vocabularies are missing (chars, phonemes need a blank plus symbols; emotions need labels).");
    }
}
