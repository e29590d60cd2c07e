namespace MtlBatch.Inference.PostProcessing;

/// <summary>A speaker turn over frames [StartFrame, EndFrame); <see cref="Speaker"/> indexes <see cref="Diarization.SpeakerNames"/>.</summary>
internal readonly record struct FrameTurn(int Speaker, int StartFrame, int EndFrame);

/// <summary>
/// Who speaks when, per frame (-1 = nobody) and as turns. <see cref="SecondSpeaker"/> is the other voice on frames of
/// overlapped speech (-1 elsewhere; null when overlap was not detected); turns of different speakers may then overlap.
/// </summary>
internal sealed record Diarization(int[] FrameSpeaker, IReadOnlyList<string> SpeakerNames, IReadOnlyList<FrameTurn> Turns, int[]? SecondSpeaker = null)
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
/// With an overlap probability per frame (models with the overlap output), voiced frames at or above
/// <see cref="DiarizationOptions.OverlapThreshold"/> also get a second speaker: the nearest other speaker in time, since in
/// conversation people talk over the one who speaks just before or after them (Otterson and Ostendorf 2007). Their turn is
/// extended over the overlap, or a turn of its own is added.
/// </summary>
internal sealed class Diarizer(DiarizationOptions options)
{
    public Diarization Diarize(IReadOnlyList<SpeakerWindow> windows, int frameCount, IReadOnlyList<FrameRange> speech, double frameShift,
        int minSpeakers, int maxSpeakers, string? fixedSpeaker = null, IReadOnlyList<float>? overlapProbability = null)
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
        var names = Enumerable.Range(1, rename.Count).Select(i => "S" + i).ToArray();
        var diarization = Finish(frameSpeaker, rename.Count, names, frameShift);
        if (overlapProbability is not { Count: > 0 } || options.OverlapThreshold > 1 || rename.Count < 2) return diarization;
        var second = SecondSpeakers(frameSpeaker, overlapProbability, frameShift);
        return diarization with { Turns = WithOverlapTurns(diarization.Turns, second, frameShift), SecondSpeaker = second };
    }

    /// <summary>Per frame the second voice of overlapped speech, or -1.</summary>
    internal int[] SecondSpeakers(int[] frameSpeaker, IReadOnlyList<float> overlapProbability, double frameShift)
    {
        var n = frameSpeaker.Length;
        var second = new int[n];
        Array.Fill(second, -1);
        var minRun = Math.Max(1, (int)Math.Round(options.MinOverlapSeconds / frameShift));
        var search = Math.Max(1, (int)Math.Round(options.OverlapSearchSeconds / frameShift));
        bool Overlapped(int f) => frameSpeaker[f] >= 0 && f < overlapProbability.Count && overlapProbability[f] >= options.OverlapThreshold;
        for (var f = 0; f < n;)
        {
            if (!Overlapped(f)) { f++; continue; }
            var start = f;
            while (f < n && Overlapped(f)) f++;
            if (f - start < minRun) continue;
            // Within the run, each stretch of one primary speaker gets the nearest other speaker around that stretch.
            for (var a = start; a < f;)
            {
                var b = a;
                while (b < f && frameSpeaker[b] == frameSpeaker[a]) b++;
                var other = NearestOther(frameSpeaker, frameSpeaker[a], a, b, search);
                if (other >= 0) Array.Fill(second, other, a, b - a);
                a = b;
            }
        }
        return second;
    }

    private static int NearestOther(int[] frameSpeaker, int primary, int start, int end, int search)
    {
        for (var d = 1; d <= search; d++)
        {
            if (start - d >= 0 && frameSpeaker[start - d] >= 0 && frameSpeaker[start - d] != primary) return frameSpeaker[start - d];
            if (end - 1 + d < frameSpeaker.Length && frameSpeaker[end - 1 + d] >= 0 && frameSpeaker[end - 1 + d] != primary) return frameSpeaker[end - 1 + d];
        }
        return -1;
    }

    /// <summary>The second speakers' runs as turns: a run next to a turn of the same speaker (within the turn gap) extends it.</summary>
    private IReadOnlyList<FrameTurn> WithOverlapTurns(IReadOnlyList<FrameTurn> turns, int[] second, double frameShift)
    {
        var maxGap = (int)Math.Round(options.MaxTurnGapSeconds / frameShift);
        var result = turns.ToList();
        for (var f = 0; f < second.Length;)
        {
            if (second[f] < 0) { f++; continue; }
            var start = f;
            while (f < second.Length && second[f] == second[start]) f++;
            var run = new FrameTurn(second[start], start, f);
            var near = -1;
            for (var i = 0; i < result.Count; i++)
            {
                var t = result[i];
                if (t.Speaker == run.Speaker && run.StartFrame - t.EndFrame <= maxGap && t.StartFrame - run.EndFrame <= maxGap) { near = i; break; }
            }
            if (near >= 0)
                result[near] = result[near] with { StartFrame = Math.Min(result[near].StartFrame, run.StartFrame), EndFrame = Math.Max(result[near].EndFrame, run.EndFrame) };
            else
                result.Add(run);
        }
        // Extending turns can make two turns of one speaker touch: join them.
        var merged = new List<FrameTurn>();
        foreach (var t in result.OrderBy(t => t.Speaker).ThenBy(t => t.StartFrame))
        {
            if (merged.Count > 0 && merged[^1].Speaker == t.Speaker && t.StartFrame <= merged[^1].EndFrame)
                merged[^1] = merged[^1] with { EndFrame = Math.Max(merged[^1].EndFrame, t.EndFrame) };
            else
                merged.Add(t);
        }
        return merged.OrderBy(t => t.StartFrame).ThenBy(t => t.Speaker).ToList();
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
