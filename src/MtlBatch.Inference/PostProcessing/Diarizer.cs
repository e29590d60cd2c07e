namespace MtlBatch.Inference.PostProcessing;

/// <summary>A speaker turn over frames [StartFrame, EndFrame); <see cref="Speaker"/> indexes <see cref="Diarization.SpeakerNames"/>.</summary>
internal readonly record struct FrameTurn(int Speaker, int StartFrame, int EndFrame);

/// <summary>Who speaks when, per frame (-1 = nobody) and as turns.</summary>
internal sealed record Diarization(int[] FrameSpeaker, IReadOnlyList<string> SpeakerNames, IReadOnlyList<FrameTurn> Turns)
{
    /// <summary>Speaker at a frame, or of the nearest voiced frame when it is silent (words sometimes fall just outside voice activity).</summary>
    public int SpeakerNear(int frame)
    {
        if (FrameSpeaker.Length == 0) return -1;
        frame = Math.Clamp(frame, 0, FrameSpeaker.Length - 1);
        for (var r = 0; r < FrameSpeaker.Length; r++)
        {
            if (frame - r >= 0 && FrameSpeaker[frame - r] >= 0) return FrameSpeaker[frame - r];
            if (frame + r < FrameSpeaker.Length && FrameSpeaker[frame + r] >= 0) return FrameSpeaker[frame + r];
            if (frame - r < 0 && frame + r >= FrameSpeaker.Length) break;
        }
        return -1;
    }
}

/// <summary>
/// Speaker diarization from pooled window embeddings: windows that are mostly speech are clustered
/// (<see cref="SpeakerClusterer"/>), every voiced frame takes the label of the nearest clustered window, labels are renamed
/// S1..Sn by first appearance, and turns are maximal runs of one speaker with short pauses bridged. Turns come from voiced
/// frames, so speech without decoded words still has its turn.
/// </summary>
internal sealed class Diarizer(DiarizationOptions options)
{
    public Diarization Diarize(IReadOnlyList<SpeakerWindow> windows, int frameCount, IReadOnlyList<FrameRange> speech, double frameShift,
        int minSpeakers, int maxSpeakers, string? fixedSpeaker = null)
    {
        var voiced = new bool[frameCount];
        foreach (var r in speech) for (var f = r.Start; f < Math.Min(r.End, frameCount); f++) voiced[f] = true;
        var frameSpeaker = new int[frameCount];
        Array.Fill(frameSpeaker, -1);

        if (fixedSpeaker is not null)
        {
            // One known speaker (a channel of a split recording): every voiced frame is theirs.
            for (var f = 0; f < frameCount; f++) if (voiced[f]) frameSpeaker[f] = 0;
            return Finish(frameSpeaker, 1, [fixedSpeaker], frameShift);
        }

        var clustered = windows.Where(w => w.Embedding is not null && w.SpeechFraction >= options.MinSpeechFraction).ToList();
        if (clustered.Count == 0) clustered = windows.Where(w => w.Embedding is not null).ToList();
        if (clustered.Count == 0 || !voiced.Contains(true)) return new Diarization(frameSpeaker, [], []);

        var labels = new SpeakerClusterer(options).Cluster(clustered.Select(w => w.Embedding!).ToList(), minSpeakers, maxSpeakers);

        // Nearest window centre per voiced frame: windows are in time order, so one sweep suffices.
        var w = 0;
        for (var f = 0; f < frameCount; f++)
        {
            if (!voiced[f]) continue;
            var centre = f + 0.5;
            while (w + 1 < clustered.Count && Math.Abs(clustered[w + 1].CentreFrame - centre) <= Math.Abs(clustered[w].CentreFrame - centre)) w++;
            frameSpeaker[f] = labels[w];
        }

        // S1..Sn in order of first appearance.
        var rename = new Dictionary<int, int>();
        for (var f = 0; f < frameCount; f++)
        {
            if (frameSpeaker[f] < 0) continue;
            if (!rename.TryGetValue(frameSpeaker[f], out var id)) rename[frameSpeaker[f]] = id = rename.Count;
            frameSpeaker[f] = id;
        }
        return Finish(frameSpeaker, rename.Count, Enumerable.Range(1, rename.Count).Select(i => "S" + i).ToArray(), frameShift);
    }

    private Diarization Finish(int[] frameSpeaker, int speakers, IReadOnlyList<string> names, double frameShift)
    {
        var maxGap = (int)Math.Round(options.MaxTurnGapSeconds / frameShift);
        var turns = new List<FrameTurn>();
        for (var f = 0; f < frameSpeaker.Length;)
        {
            if (frameSpeaker[f] < 0) { f++; continue; }
            var start = f;
            while (f < frameSpeaker.Length && frameSpeaker[f] == frameSpeaker[start]) f++;
            var run = new FrameTurn(frameSpeaker[start], start, f);
            if (turns.Count > 0 && turns[^1].Speaker == run.Speaker && run.StartFrame - turns[^1].EndFrame <= maxGap)
                turns[^1] = turns[^1] with { EndFrame = run.EndFrame };
            else
                turns.Add(run);
        }
        return new Diarization(frameSpeaker, speakers == 0 ? [] : names, turns);
    }
}
