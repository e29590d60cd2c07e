namespace MtlBatch.Inference.PostProcessing;

/// <summary>
/// One embedding per diarized speaker: the mean of the pooled window embeddings (each already the unit-length mean of its
/// voiced speaker frames), each window weighted by how many of its voiced frames the speaker holds, L2-normalised.
/// This is what voiceprint enrolment stores and what identification compares (docs/voiceprints.md).
/// </summary>
internal static class SpeakerEmbeddings
{
    public static IReadOnlyDictionary<string, float[]> Compute(IReadOnlyList<SpeakerWindow> windows, Diarization diarization)
    {
        var speakers = diarization.SpeakerNames.Count;
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (speakers == 0) return result;
        var sums = new double[speakers][];
        var counts = new int[speakers];
        foreach (var w in windows)
        {
            if (w.Embedding is not { } embedding) continue;
            Array.Clear(counts);
            for (var f = w.StartFrame; f < Math.Min(w.EndFrame, diarization.FrameSpeaker.Length); f++)
                if (diarization.FrameSpeaker[f] >= 0) counts[diarization.FrameSpeaker[f]]++;
            for (var s = 0; s < speakers; s++)
            {
                if (counts[s] == 0) continue;
                var sum = sums[s] ??= new double[embedding.Length];
                for (var d = 0; d < embedding.Length; d++) sum[d] += counts[s] * (double)embedding[d];
            }
        }
        for (var s = 0; s < speakers; s++)
            if (sums[s] is { } sum) result[diarization.SpeakerNames[s]] = SpeakerWindowPooler.Normalize(sum);
        return result;
    }
}
