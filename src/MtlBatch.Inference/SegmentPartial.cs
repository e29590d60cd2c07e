namespace MtlBatch.Inference;

/// <summary>A word streamed by <see cref="SpeechAnalyzer.ProcessAsync"/> as soon as it is final; times in seconds from the recording start.</summary>
public sealed record SegmentPartial(string Text, double Start, double End, double Confidence);
