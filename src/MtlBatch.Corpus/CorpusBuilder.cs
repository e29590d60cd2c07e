using MtlBatch.Audio;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace MtlBatch.Corpus;

/// <summary>What <see cref="CorpusBuilder"/> builds. Bound from the CLI (<c>mtlbatch corpus build</c>).</summary>
public sealed class CorpusBuildOptions
{
    public required string OutputFolder { get; set; }
    /// <summary>Hours of training audio (approximate: the builder stops adding utterances once reached).</summary>
    public double TrainHours { get; set; } = 5;
    public int ValidUtterances { get; set; } = 300;
    public int TestUtterances { get; set; } = 600;
    public int Conversations { get; set; } = 24;
    public int Seed { get; set; } = 1;
    public int Jobs { get; set; } = Environment.ProcessorCount;
    /// <summary>espeak-ng identities (flite and festival add 10 and 6).</summary>
    public int EspeakSpeakers { get; set; } = 70;
}

public sealed record CorpusSummary(int TrainUtterances, double TrainHours, int ValidUtterances, int TestUtterances, int Conversations,
    double ConversationHours, int Speakers, int HeldOutSpeakers, TimeSpan Elapsed);

/// <summary>
/// Builds the synthetic multi-task corpus: utterances with character, phoneme, speaker, emotion and voice-activity
/// labels, augmented with noise, reverb, telephone band, codecs, gain and clipping; and multi-speaker conversations
/// with exact references. Deterministic for a seed: every utterance draws from its own seeded generator, so the
/// result does not depend on the number of parallel jobs.
/// </summary>
public sealed class CorpusBuilder(ILogger<CorpusBuilder> logger)
{
    private const double MeanUtteranceSeconds = 4.2;
    private readonly ProcessRunner _runner = new();

    public async Task<CorpusSummary> BuildAsync(CorpusBuildOptions options, IProgress<(string Stage, int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(options.OutputFolder);
        var work = Path.Combine(Path.GetTempPath(), "mtlbatch-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "audio"));
        Directory.CreateDirectory(Path.Combine(root, "conversations"));
        Directory.CreateDirectory(work);
        try
        {
            var sentences = new SentenceSource(options.Seed);
            var trainPool = sentences.Dialogue.Concat(sentences.General).Where(s => !SentenceSource.IsHeldOut(s)).ToArray();
            var heldDialogue = sentences.Dialogue.Where(SentenceSource.IsHeldOut).ToArray();
            var heldPool = heldDialogue.Concat(sentences.General.Where(SentenceSource.IsHeldOut)).ToArray();
            var speakers = SpeakerCatalog.Build(options.Seed, options.EspeakSpeakers);
            var trainSpeakers = speakers.Where(s => !s.HeldOut).ToArray();
            var testSpeakers = speakers.Where(s => s.HeldOut).ToArray();
            logger.LogInformation("Corpus {Folder}: {Train} training sentences, {Held} held-out sentences, {Speakers} identities ({HeldOut} held out)",
                root, trainPool.Length, heldPool.Length, speakers.Count, testSpeakers.Length);

            var synth = new Synthesizer(_runner, work);
            var augmenter = new Augmenter(_runner, work);
            var phonemizer = new Phonemizer(_runner);
            var babble = await BuildBabblePoolAsync(synth, trainSpeakers, trainPool, options.Seed, cancellationToken).ConfigureAwait(false);

            var trainCount = (int)Math.Ceiling(options.TrainHours * 3600 / MeanUtteranceSeconds);
            var plan = new List<(string Split, int Index)>();
            plan.AddRange(Enumerable.Range(0, trainCount).Select(i => ("train", i)));
            plan.AddRange(Enumerable.Range(0, options.ValidUtterances).Select(i => ("valid", i)));
            plan.AddRange(Enumerable.Range(0, options.TestUtterances).Select(i => ("test", i)));

            var entries = new ConcurrentBag<UtteranceEntry>();
            var done = 0;
            await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var (split, index) = item;
                var random = new Random(HashCode.Combine(options.Seed, split, index) ^ StableHash(split) * 7919 + index);
                var pool = split == "train" ? trainPool : heldPool;
                var who = split == "test" ? testSpeakers : trainSpeakers;
                var entry = await BuildUtteranceAsync($"{split[..2]}{index:D6}", split, pool[random.Next(pool.Length)], who[random.Next(who.Length)],
                    random, synth, augmenter, phonemizer, babble, root, ct).ConfigureAwait(false);
                entries.Add(entry);
                var n = Interlocked.Increment(ref done);
                if (n % 50 == 0 || n == plan.Count) progress?.Report(("utterances", n, plan.Count));
            }).ConfigureAwait(false);

            foreach (var split in new[] { "train", "valid", "test" })
                await ManifestIo.WriteLinesAsync(Path.Combine(root, split + ".jsonl"),
                    entries.Where(e => e.Split == split).OrderBy(e => e.Id, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);

            var conversations = new ConcurrentBag<ConversationEntry>();
            var convDone = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Conversations), new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancellationToken }, async (index, ct) =>
            {
                var random = new Random(options.Seed * 104729 + index);
                conversations.Add(await BuildConversationAsync($"c{index:D4}", random, heldDialogue, testSpeakers, synth, babble, root, ct).ConfigureAwait(false));
                progress?.Report(("conversations", Interlocked.Increment(ref convDone), options.Conversations));
            }).ConfigureAwait(false);
            await ManifestIo.WriteLinesAsync(Path.Combine(root, "conversations.jsonl"), conversations.OrderBy(c => c.Id, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);

            await ManifestIo.WriteInventoryAsync(Path.Combine(root, "inventory.json"), new CorpusInventory
            {
                Chars = TextNormalizer.Characters,
                Phonemes = Phonemizer.Inventory,
                Emotions = Emotions.Labels,
                TrainSpeakers = [.. trainSpeakers.Select(s => s.Id)],
                TestSpeakers = [.. testSpeakers.Select(s => s.Id)],
                SpeakerVoices = speakers.ToDictionary(s => s.Id, s => $"{s.Describe()} vtl={s.VocalTract} pitch={s.PitchCents}c rate={s.Rate}"),
            }, cancellationToken).ConfigureAwait(false);

            var train = entries.Where(e => e.Split == "train").ToArray();
            var summary = new CorpusSummary(train.Length, train.Sum(e => e.Duration) / 3600, options.ValidUtterances, options.TestUtterances,
                conversations.Count, conversations.Sum(c => c.Duration) / 3600, speakers.Count, testSpeakers.Length, clock.Elapsed);
            logger.LogInformation("Corpus built: {Summary}", summary);
            return summary;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = 17;
            foreach (var c in s) h = h * 31 + c;
            return h & 0x7fffffff;
        }
    }

    private static async Task<List<float[]>> BuildBabblePoolAsync(Synthesizer synth, SpeakerIdentity[] speakers, string[] sentences, int seed, CancellationToken ct)
    {
        var random = new Random(seed * 31 + 5);
        var pool = new List<float[]>();
        for (var i = 0; i < 16; i++)
        {
            var speaker = speakers[random.Next(speakers.Length)];
            var prosody = Emotions.Sample(Emotions.Labels[random.Next(Emotions.Labels.Count)], random);
            pool.Add(await synth.SynthesizeAsync(sentences[random.Next(sentences.Length)], speaker, prosody, new ChannelEffects(), ct).ConfigureAwait(false));
        }
        return pool;
    }

    private static async Task<UtteranceEntry> BuildUtteranceAsync(string id, string split, string text, SpeakerIdentity speaker, Random random,
        Synthesizer synth, Augmenter augmenter, Phonemizer phonemizer, IReadOnlyList<float[]> babble, string root, CancellationToken ct)
    {
        var emotion = Emotions.Labels[random.Next(Emotions.Labels.Count)];
        var prosody = Emotions.Sample(emotion, random);
        var augment = new List<string>();
        var channel = new ChannelEffects(
            ReverbPercent: random.NextDouble() < 0.35 ? 15 + random.NextDouble() * 65 : null,
            RoomScale: 20 + random.NextDouble() * 80,
            Telephone: random.NextDouble() < 0.2);
        if (channel.ReverbPercent is { } rv) augment.Add(string.Create(CultureInfo.InvariantCulture, $"reverb:{rv:0}:{channel.RoomScale:0}"));
        if (channel.Telephone) augment.Add("telephone");

        var speech = await synth.SynthesizeAsync(text, speaker, prosody, channel, ct).ConfigureAwait(false);
        var lead = (int)((0.1 + random.NextDouble() * 0.8) * Synthesizer.SampleRate);
        var tail = (int)((0.1 + random.NextDouble() * 0.8) * Synthesizer.SampleRate);
        var samples = new float[lead + speech.Length + tail];
        speech.CopyTo(samples, lead);
        var vad = EnergyVad.Detect(samples);

        if (random.NextDouble() < 0.75)
        {
            var kind = Augmenter.NoiseKinds[random.Next(Augmenter.NoiseKinds.Length)];
            var snr = kind == "babble" ? 10 + random.NextDouble() * 20 : 3 + random.NextDouble() * 27;
            Augmenter.AddNoise(samples, vad, kind, snr, random, babble);
            augment.Add(string.Create(CultureInfo.InvariantCulture, $"noise:{kind}:{snr:0}dB"));
        }
        var clip = random.NextDouble() < 0.06;
        var gainDb = clip ? 20 * Math.Log10(1.0 / Math.Max(1e-3, Augmenter.Peak(samples))) + 3 + random.NextDouble() * 6 : -14 + random.NextDouble() * 14;
        Augmenter.GainAndClip(samples, gainDb);
        augment.Add(clip ? string.Create(CultureInfo.InvariantCulture, $"clip:{gainDb:0}dB") : string.Create(CultureInfo.InvariantCulture, $"gain:{gainDb:0}dB"));
        if (random.NextDouble() < 0.15)
        {
            var codec = random.Next(2) == 0 ? "mp3" : "opus";
            samples = await augmenter.CodecRoundTripAsync(samples, codec, ct).ConfigureAwait(false);
            augment.Add("codec:" + codec);
        }

        var audio = $"audio/{id}.wav";
        Augmenter.WriteWav(Path.Combine(root, audio), samples);
        return new UtteranceEntry
        {
            Id = id,
            Audio = audio,
            Duration = Math.Round(samples.Length / (double)Synthesizer.SampleRate, 3),
            Text = text,
            Phonemes = await phonemizer.PhonemizeAsync(text, ct).ConfigureAwait(false),
            Speaker = speaker.Id,
            Emotion = emotion,
            Vad = [.. vad.Select(v => new[] { Math.Round(v.Start, 3), Math.Round(v.End, 3) })],
            Split = split,
            Engine = speaker.Describe(),
            Augment = augment,
        };
    }

    private static Task<ConversationEntry> BuildConversationAsync(string id, Random random, string[] sentences, SpeakerIdentity[] pool,
        Synthesizer synth, IReadOnlyList<float[]> babble, string root, CancellationToken ct)
    {
        var count = 2 + random.Next(3);
        var cast = pool.OrderBy(_ => random.Next()).Take(count).ToArray();
        var mood = cast.ToDictionary(s => s.Id, _ => "neutral");
        var turns = 10 + random.Next(8);
        var script = new List<(SpeakerIdentity Speaker, string Text, string Emotion)>();
        SpeakerIdentity? previous = null;
        for (var t = 0; t < turns; t++)
        {
            var candidates = cast.Where(s => s != previous).ToArray();
            var speaker = candidates[random.Next(candidates.Length)];
            // Emotions drift: a speaker changes mood now and then and keeps it for a while.
            if (random.NextDouble() < 0.3) mood[speaker.Id] = Emotions.Labels[random.Next(Emotions.Labels.Count)];
            script.Add((speaker, sentences[random.Next(sentences.Length)], mood[speaker.Id]));
            previous = speaker;
        }
        return RenderConversationAsync(id, random, script, telephone: random.NextDouble() < 0.3, synth, babble, root, ct);
    }

    /// <summary>
    /// The bundled demo recording: a scripted support call between an agent and a customer whose mood goes from
    /// neutral to angry to happy, with a supervisor joining, spoken by held-out identities (never trained on).
    /// </summary>
    public async Task<ConversationEntry> BuildSampleConversationAsync(string folder, int seed, CancellationToken cancellationToken)
    {
        var work = Path.Combine(Path.GetTempPath(), "mtlbatch-sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(work, "conversations"));
        Directory.CreateDirectory(folder);
        try
        {
            var held = SpeakerCatalog.Build(seed).Where(s => s.HeldOut).ToArray();
            SpeakerIdentity agent = held.First(s => s.Engine == SynthesisEngine.Espeak && s.Voice.Contains("+f", StringComparison.Ordinal)),
                customer = held.First(s => s.Engine == SynthesisEngine.Flite), supervisor = held.First(s => s.Engine == SynthesisEngine.Espeak && s != agent);
            var script = new List<(SpeakerIdentity, string, string)>
            {
                (agent, "thank you for calling northwind my name is sarah how can i help you today", "happy"),
                (customer, "hello i'm calling about my internet connection it keeps disconnecting", "neutral"),
                (agent, "i'm sorry to hear that could you please confirm your full name", "neutral"),
                (customer, "it's james wilson and this is the third time i've called about it", "angry"),
                (customer, "i have been waiting since monday and nobody has fixed anything", "angry"),
                (agent, "i understand you're frustrated let me check that for you", "neutral"),
                (supervisor, "hello james this is the team manager i can send an engineer tomorrow morning", "neutral"),
                (customer, "tomorrow morning is perfect thank you so much", "happy"),
                (agent, "you're welcome is there anything else i can help you with today", "happy"),
                (customer, "no that's everything have a lovely day", "happy"),
            };
            var synth = new Synthesizer(_runner, work);
            var rendered = await RenderConversationAsync("conversation", new Random(seed), script, telephone: false, synth, [], work, cancellationToken).ConfigureAwait(false);
            File.Move(Path.Combine(work, rendered.Audio), Path.Combine(folder, "conversation.wav"), overwrite: true);
            var entry = rendered with { Audio = "conversation.wav" };
            await ManifestIo.WriteLinesAsync(Path.Combine(folder, "conversation.reference.jsonl"), [entry], cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Sample conversation: {Duration:F1} s, {Segments} turns, speakers {Speakers}", entry.Duration, entry.Segments.Count,
                string.Join(", ", entry.Segments.Select(s => s.Speaker).Distinct()));
            return entry;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<ConversationEntry> RenderConversationAsync(string id, Random random, IReadOnlyList<(SpeakerIdentity Speaker, string Text, string Emotion)> script,
        bool telephone, Synthesizer synth, IReadOnlyList<float[]> babble, string root, CancellationToken ct)
    {
        var pieces = new List<(float[] Audio, int Offset, SpeakerIdentity Speaker, string Text, string Emotion)>();
        var cursor = (int)(0.3 * Synthesizer.SampleRate);
        foreach (var (speaker, text, emotion) in script)
        {
            var audio = await synth.SynthesizeAsync(text, speaker, Emotions.Sample(emotion, random), new ChannelEffects(Telephone: telephone), ct).ConfigureAwait(false);
            var gap = random.NextDouble() < 0.15 ? -(0.2 + random.NextDouble() * 0.3) : 0.2 + random.NextDouble() * 0.8;
            var offset = Math.Max(0, cursor + (int)(gap * Synthesizer.SampleRate));
            pieces.Add((audio, offset, speaker, text, emotion));
            cursor = Math.Max(cursor, offset + audio.Length);
        }
        var mix = new float[cursor + (int)(0.5 * Synthesizer.SampleRate)];
        var segments = new List<ConversationSegment>();
        var speech = new List<(double Start, double End)>();
        foreach (var (audio, offset, speaker, text, emotion) in pieces)
        {
            for (var i = 0; i < audio.Length; i++) mix[offset + i] += audio[i];
            var vad = EnergyVad.Detect(audio);
            if (vad.Count == 0) continue;
            var start = offset / (double)Synthesizer.SampleRate + vad[0].Start;
            var end = offset / (double)Synthesizer.SampleRate + vad[^1].End;
            segments.Add(new ConversationSegment { Speaker = speaker.Id, Start = Math.Round(start, 3), End = Math.Round(end, 3), Text = text, Emotion = emotion });
            speech.Add((start, end));
        }
        var augment = new List<string>();
        if (telephone) augment.Add("telephone");
        var kind = Augmenter.NoiseKinds[random.Next(Augmenter.NoiseKinds.Length - 1)];
        var snr = 12 + random.NextDouble() * 18;
        Augmenter.AddNoise(mix, speech, kind, snr, random, babble);
        augment.Add(string.Create(CultureInfo.InvariantCulture, $"noise:{kind}:{snr:0}dB"));
        var peak = Augmenter.Peak(mix);
        if (peak > 0.99) Augmenter.GainAndClip(mix, 20 * Math.Log10(0.9 / peak));
        var path = $"conversations/{id}.wav";
        Augmenter.WriteWav(Path.Combine(root, path), mix);
        return new ConversationEntry { Id = id, Audio = path, Duration = Math.Round(mix.Length / (double)Synthesizer.SampleRate, 3), Augment = augment, Segments = segments };
    }
}
