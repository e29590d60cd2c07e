using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MtlBatch.Audio;

namespace MtlBatch.Corpus.Import;

/// <summary>Per split: utterances, hours, speakers; plus what was left out.</summary>
public sealed record ImportSummary(string Source, IReadOnlyDictionary<string, (int Utterances, double Hours, int Speakers)> Splits,
    int Conversations, double ConversationHours, int AbsentFiles, IReadOnlyDictionary<string, int> Dropped)
{
    public override string ToString()
    {
        var lines = new List<string> { $"{Source}: " + string.Join("; ", Splits.Select(kv =>
            $"{kv.Key} {kv.Value.Utterances} utterances, {kv.Value.Hours.ToString("0.00", CultureInfo.InvariantCulture)} h, {kv.Value.Speakers} speakers")) };
        if (Conversations > 0) lines.Add($"  conversations: {Conversations} ({ConversationHours.ToString("0.00", CultureInfo.InvariantCulture)} h)");
        if (AbsentFiles > 0) lines.Add($"  absent from the snapshot (skipped): {AbsentFiles} files");
        lines.AddRange(Dropped.Select(kv => $"  {kv.Key}: {kv.Value}"));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Writes an import plan as a corpus folder (docs/corpus-format.md): audio decoded by ffmpeg to 16 kHz mono
/// 16-bit, VAD from energy where the source has no timing, phonemes from espeak-ng for every transcript,
/// train/valid/test.jsonl, conversations.jsonl, inventory.json and import.json. Re-running resumes: audio already
/// written is kept.
/// </summary>
public sealed class CorpusImportWriter(ProcessRunner runner, ILogger<CorpusImportWriter> logger)
{
    public async Task<ImportSummary> WriteAsync(ImportPlan plan, SourceTree tree, string outputFolder, int jobs, CancellationToken ct)
    {
        var audioDir = Path.Combine(outputFolder, "audio");
        var work = Path.Combine(outputFolder, ".work");
        Directory.CreateDirectory(audioDir);
        Directory.CreateDirectory(Path.Combine(outputFolder, "conversations"));
        Directory.CreateDirectory(work);
        var phonemizer = new Phonemizer(runner);
        var phonemes = new ConcurrentDictionary<string, Task<IReadOnlyList<string>>>(StringComparer.Ordinal);
        var entries = new ConcurrentBag<UtteranceEntry>();
        var absent = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = ct };
        var done = 0;

        // Items that share a source file (crops, RTTM turns) are decoded from one extracted copy.
        var groups = plan.Items.GroupBy(i => (i.SourcePath, i.Format)).ToList();
        await Parallel.ForEachAsync(groups, options, async (group, token) =>
        {
            var source = Path.Combine(work, Guid.NewGuid().ToString("N"));
            try
            {
                var extracted = false;
                foreach (var item in group)
                {
                    foreach (var entry in await WriteItemAsync(item, ExtractOnce, audioDir, phonemizer, phonemes, token).ConfigureAwait(false))
                        entries.Add(entry with { Source = plan.Source });
                    if (Interlocked.Increment(ref done) % 500 == 0) logger.LogInformation("{Source}: {Done}/{Total} utterances", plan.Source, done, plan.Items.Count);
                }

                async Task<string?> ExtractOnce()
                {
                    if (!extracted)
                    {
                        extracted = true;
                        if (!await tree.TryExtractAsync(group.Key.SourcePath, source, token).ConfigureAwait(false)) absent[group.Key.SourcePath] = true;
                    }
                    return absent.ContainsKey(group.Key.SourcePath) ? null : source;
                }
            }
            finally
            {
                File.Delete(source);
            }
        }).ConfigureAwait(false);

        var conversations = new List<ConversationEntry>();
        foreach (var c in plan.Conversations)
        {
            var source = Path.Combine(work, Guid.NewGuid().ToString("N"));
            try
            {
                if (!await tree.TryExtractAsync(c.SourcePath, source, ct).ConfigureAwait(false)) { absent[c.SourcePath] = true; continue; }
                var rel = $"conversations/{c.Id}.wav";
                await DecodeAsync(source, SourceAudioFormat.Container, null, Path.Combine(outputFolder, rel), ct).ConfigureAwait(false);
                var duration = WavReader.ReadInfo(Path.Combine(outputFolder, rel)).DurationSeconds;
                conversations.Add(new ConversationEntry { Id = c.Id, Audio = rel, Duration = Math.Round(duration, 3), Segments = c.Segments });
            }
            finally
            {
                File.Delete(source);
            }
        }
        Directory.Delete(work, recursive: true);

        var ordered = entries.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        foreach (var split in new[] { "train", "valid", "test" })
            await ManifestIo.WriteLinesAsync(Path.Combine(outputFolder, split + ".jsonl"), ordered.Where(e => e.Split == split), ct).ConfigureAwait(false);
        await ManifestIo.WriteLinesAsync(Path.Combine(outputFolder, "conversations.jsonl"), conversations, ct).ConfigureAwait(false);
        string[] Speakers(string split) => ordered.Where(e => e.Split == split && e.Speaker is not null).Select(e => e.Speaker!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await ManifestIo.WriteInventoryAsync(Path.Combine(outputFolder, "inventory.json"), new CorpusInventory
        {
            Chars = TextNormalizer.Characters, Phonemes = Phonemizer.Inventory, Emotions = Emotions.Labels,
            TrainSpeakers = Speakers("train"), TestSpeakers = Speakers("test"),
        }, ct).ConfigureAwait(false);

        var splits = new[] { "train", "valid", "test" }.ToDictionary(s => s, s =>
        {
            var items = ordered.Where(e => e.Split == s).ToList();
            return (items.Count, items.Sum(e => e.Duration) / 3600, Speakers(s).Length);
        });
        var summary = new ImportSummary(plan.Source, splits, conversations.Count, conversations.Sum(c => c.Duration) / 3600, absent.Count, plan.Dropped);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "import.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            source = plan.Source, tree = tree.Location,
            splits = splits.ToDictionary(kv => kv.Key, kv => new { utterances = kv.Value.Item1, hours = Math.Round(kv.Value.Item2, 4), speakers = kv.Value.Item3 }),
            conversations = conversations.Count, absentFiles = absent.Count, dropped = plan.Dropped,
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct).ConfigureAwait(false);
        return summary;
    }

    private async Task<IReadOnlyList<UtteranceEntry>> WriteItemAsync(ImportItem item, Func<Task<string?>> extract, string audioDir,
        Phonemizer phonemizer, ConcurrentDictionary<string, Task<IReadOnlyList<string>>> phonemes, CancellationToken ct)
    {
        var whole = Path.Combine(audioDir, item.Id + ".wav");
        List<string> crops = [];
        if (item.CropSeconds is { } cropSeconds)
        {
            crops = Directory.GetFiles(audioDir, item.Id + "-c??.wav").Order(StringComparer.Ordinal).ToList();
            if (crops.Count == 0)
            {
                if (await extract().ConfigureAwait(false) is not { } src) return [];
                var temp = whole + ".tmp.wav";
                await DecodeAsync(src, item.Format, item.Clip, temp, ct).ConfigureAwait(false);
                crops = await CropAsync(temp, cropSeconds, item.Id, audioDir, ct).ConfigureAwait(false);
                File.Delete(temp);
            }
        }
        else if (!File.Exists(whole))
        {
            if (await extract().ConfigureAwait(false) is not { } src) return [];
            await DecodeAsync(src, item.Format, item.Clip, whole + ".tmp.wav", ct).ConfigureAwait(false);
            File.Move(whole + ".tmp.wav", whole);
        }
        IReadOnlyList<string>? phones = null;
        if (item.Text is { } text)
            phones = await phonemes.GetOrAdd(text, t => phonemizer.PhonemizeAsync(t, ct)).ConfigureAwait(false);
        var result = new List<UtteranceEntry>();
        foreach (var path in item.CropSeconds is null ? [whole] : crops)
        {
            var audio = await WavReader.ReadAllAsync(path, ct).ConfigureAwait(false);
            var vad = item.NoSpeech ? [] : item.Vad ?? RecordingVad.Detect(audio.Samples);
            result.Add(new UtteranceEntry
            {
                Id = Path.GetFileNameWithoutExtension(path), Audio = "audio/" + Path.GetFileName(path), Duration = Math.Round(audio.DurationSeconds, 3),
                Text = item.Text, Phonemes = phones is { Count: > 0 } ? phones : null, Speaker = item.Speaker, Vad = vad, Split = item.Split,
                Engine = "real", Utterance = item.Utterance, PhoneType = item.PhoneType,
            });
        }
        return result;
    }

    /// <summary>Consecutive crops; a remainder of at least half a crop is kept as the last one.</summary>
    private static async Task<List<string>> CropAsync(string wav, double seconds, string id, string audioDir, CancellationToken ct)
    {
        var audio = await WavReader.ReadAllAsync(wav, ct).ConfigureAwait(false);
        var n = (int)(seconds * AudioDecoder.SampleRate);
        var paths = new List<string>();
        for (var start = 0; start < audio.Samples.Length && paths.Count < 100; start += n)
        {
            var length = Math.Min(n, audio.Samples.Length - start);
            if (length < n / 2 && paths.Count > 0) break;
            var path = Path.Combine(audioDir, $"{id}-c{paths.Count:D2}.wav");
            using (var writer = WavWriter.Create(path + ".tmp"))
                writer.Write(audio.Samples.AsSpan(start, length));
            File.Move(path + ".tmp", path, overwrite: true);
            paths.Add(path);
        }
        return paths;
    }

    private async Task DecodeAsync(string source, SourceAudioFormat format, (double Start, double End)? clip, string output, CancellationToken ct)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
        if (format == SourceAudioFormat.Mulaw8k) args.AddRange(["-f", "mulaw", "-ar", "8000", "-ac", "1"]);
        args.AddRange(["-i", source]);
        if (clip is { } c)
            args.AddRange(["-ss", c.Start.ToString("0.###", CultureInfo.InvariantCulture), "-t", (c.End - c.Start).ToString("0.###", CultureInfo.InvariantCulture)]);
        args.AddRange(["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", output]);
        await runner.RunAsync("ffmpeg", args, ct).ConfigureAwait(false);
    }
}
