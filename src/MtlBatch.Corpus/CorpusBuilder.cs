using MtlBatch.Audio;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MtlBatch.Corpus.Text;

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
    /// <summary>espeak-ng identities (flite and festival add 10 and 6, the natural voices 204).</summary>
    public int EspeakSpeakers { get; set; } = 70;
    /// <summary>Folder written by <c>mtlbatch corpus text</c>: real dialogue sentences and turns instead of the templates.</summary>
    public string? TextFolder { get; set; }
    /// <summary>Only identities of these engines (all six when null), e.g. to compare with a model trained on fewer.</summary>
    public IReadOnlySet<SynthesisEngine>? Engines { get; set; }
    /// <summary>Share of conversations rendered as two-channel telephone calls (the rest are room recordings).</summary>
    public double TelephoneConversationShare { get; set; } = 0.4;
}

/// <param name="Resumed">Utterances and conversations kept from an interrupted earlier run instead of synthesised again.</param>
/// <param name="SynthesizedHours">Audio synthesised by this run (resumed items not counted).</param>
public sealed record CorpusSummary(int TrainUtterances, double TrainHours, int ValidUtterances, int TestUtterances, int Conversations,
    double ConversationHours, int Speakers, int HeldOutSpeakers, TimeSpan Elapsed, int Resumed = 0, double SynthesizedHours = 0)
{
    /// <summary>Audio seconds synthesised per wall-clock second.</summary>
    public double SpeedFactor => Elapsed.TotalSeconds > 0 ? SynthesizedHours * 3600 / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Builds the synthetic multi-task corpus: utterances with character, phoneme, speaker, emotion and voice-activity
/// labels, augmented with noise, reverb, telephone band, codecs, gain and clipping; and multi-speaker conversations
/// with exact references (two-channel calls besides mono mixdowns). Deterministic for a seed: every utterance draws
/// from its own generator seeded by a stable hash, so the result depends neither on the number of parallel jobs nor on
/// the process. Resumable: each finished item is recorded under <c>parts/</c>, and a rerun keeps every utterance
/// whose wav and record match the plan (docs/corpus-v2.md).
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
            var text = options.TextFolder is null ? null : await DialogueText.LoadAsync(options.TextFolder, cancellationToken).ConfigureAwait(false);
            string[] trainPool, heldPool;
            ConversationSource conversationSource;
            if (text is not null)
            {
                trainPool = [.. text.TrainSentences];
                heldPool = [.. text.HeldOutSentences];
                conversationSource = new ConversationSource(heldPool, [.. text.HeldOutDialogues.Where(d => d.Turns.Count >= 4)
                    .GroupBy(d => d.Source).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray())]);
            }
            else
            {
                var sentences = new SentenceSource(options.Seed);
                trainPool = [.. sentences.Dialogue.Concat(sentences.General).Where(s => !SentenceSource.IsHeldOut(s))];
                var heldDialogue = sentences.Dialogue.Where(SentenceSource.IsHeldOut).ToArray();
                heldPool = [.. heldDialogue.Concat(sentences.General.Where(SentenceSource.IsHeldOut))];
                conversationSource = new ConversationSource(heldDialogue, []);
            }
            if (trainPool.Length == 0 || heldPool.Length == 0) throw new InvalidDataException("No training or no held-out sentences to synthesise.");
            var speakers = SpeakerCatalog.Build(options.Seed, options.EspeakSpeakers).Where(s => options.Engines?.Contains(s.Engine) ?? true).ToArray();
            if (speakers.Length == 0) throw new ArgumentException("No identities: the engine selection is empty.", nameof(options));
            var trainSpeakers = speakers.Where(s => !s.HeldOut).ToArray();
            var testSpeakers = speakers.Where(s => s.HeldOut).ToArray();
            logger.LogInformation("Corpus {Folder}: {Train} training sentences, {Held} held-out sentences ({TextSource}), {Speakers} identities ({HeldOut} held out), {Jobs} jobs",
                root, trainPool.Length, heldPool.Length, options.TextFolder ?? "templates", speakers.Length, testSpeakers.Length, options.Jobs);

            var synth = new Synthesizer(_runner, work);
            var augmenter = new Augmenter(_runner, work);
            var phonemizer = new Phonemizer(_runner);
            var babble = await BuildBabblePoolAsync(synth, trainSpeakers, trainPool, options.Seed, cancellationToken).ConfigureAwait(false);
            var parts = new PartStore(root);
            var known = await parts.LoadAsync<UtteranceEntry>(["train.jsonl", "valid.jsonl", "test.jsonl"], e => e.Id, cancellationToken).ConfigureAwait(false);

            var trainCount = (int)Math.Ceiling(options.TrainHours * 3600 / MeanUtteranceSeconds);
            var plan = new List<(string Split, int Index)>();
            plan.AddRange(Enumerable.Range(0, trainCount).Select(i => ("train", i)));
            plan.AddRange(Enumerable.Range(0, options.ValidUtterances).Select(i => ("valid", i)));
            plan.AddRange(Enumerable.Range(0, options.TestUtterances).Select(i => ("test", i)));

            var entries = new ConcurrentBag<UtteranceEntry>();
            var done = 0;
            var resumed = 0;
            long synthesizedSamples = 0;
            await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var (split, index) = item;
                var random = new Random(StableSeed(options.Seed, split, index));
                var pool = split == "train" ? trainPool : heldPool;
                var who = split == "test" ? testSpeakers : trainSpeakers;
                var id = $"{split[..2]}{index:D6}";
                var sentence = pool[random.Next(pool.Length)];
                var speaker = SpeakerCatalog.Draw(who, random);
                if (known.TryGetValue(id, out var previous) && previous.Text == sentence && previous.Speaker == speaker.Id && PartStore.AudioMatches(root, previous.Audio, previous.Duration))
                {
                    entries.Add(previous);
                    Interlocked.Increment(ref resumed);
                }
                else
                {
                    var entry = await BuildUtteranceAsync(id, split, sentence, speaker, random, synth, augmenter, phonemizer, babble, root, ct).ConfigureAwait(false);
                    await parts.SaveAsync(id, entry, ct).ConfigureAwait(false);
                    entries.Add(entry);
                    Interlocked.Add(ref synthesizedSamples, (long)(entry.Duration * Synthesizer.SampleRate));
                }
                var n = Interlocked.Increment(ref done);
                if (n % 50 == 0 || n == plan.Count) progress?.Report(("utterances", n, plan.Count));
                if (n % 500 == 0) logger.LogInformation("Utterances {Done}/{Total} ({Resumed} resumed)", n, plan.Count, resumed);
            }).ConfigureAwait(false);

            foreach (var split in new[] { "train", "valid", "test" })
                await ManifestIo.WriteLinesAsync(Path.Combine(root, split + ".jsonl"),
                    entries.Where(e => e.Split == split).OrderBy(e => e.Id, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);

            var knownConversations = await parts.LoadAsync<ConversationEntry>(["conversations.jsonl"], c => c.Id, cancellationToken).ConfigureAwait(false);
            var conversations = new ConcurrentBag<ConversationEntry>();
            var convDone = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Conversations), new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancellationToken }, async (index, ct) =>
            {
                var random = new Random(StableSeed(options.Seed, "conversation", index));
                var id = $"c{index:D4}";
                var script = ScriptConversation(random, conversationSource, testSpeakers, out var dialogueId);
                var telephone = random.NextDouble() < options.TelephoneConversationShare;
                if (knownConversations.TryGetValue(id, out var previous) && previous.Dialogue == dialogueId
                    && previous.Segments.Select(g => g.Text).SequenceEqual(script.Where(t => t.Text.Length > 0).Select(t => t.Text).Take(previous.Segments.Count))
                    && PartStore.AudioMatches(root, previous.Audio, previous.Duration)
                    && (previous.Audio2Ch is not null) == telephone && (previous.Audio2Ch is null || PartStore.AudioMatches(root, previous.Audio2Ch, previous.Duration)))
                {
                    conversations.Add(previous);
                    Interlocked.Increment(ref resumed);
                }
                else
                {
                    var entry = await RenderConversationAsync(id, random, script, telephone, synth, augmenter, babble, root, ct).ConfigureAwait(false) with { Dialogue = dialogueId };
                    await parts.SaveAsync(id, entry, ct).ConfigureAwait(false);
                    conversations.Add(entry);
                    Interlocked.Add(ref synthesizedSamples, (long)(entry.Duration * Synthesizer.SampleRate));
                }
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
                conversations.Count, conversations.Sum(c => c.Duration) / 3600, speakers.Length, testSpeakers.Length, clock.Elapsed,
                resumed, synthesizedSamples / (double)Synthesizer.SampleRate / 3600);
            parts.Clear();
            logger.LogInformation("Corpus built: {Summary}; {Speed:F1} s of audio per second", summary, summary.SpeedFactor);
            return summary;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A generator seed from the corpus seed, a stream name and an index: FNV-1a, the same in every process.</summary>
    public static int StableSeed(int seed, string stream, int index)
    {
        unchecked
        {
            var h = 2166136261u;
            foreach (var c in $"{seed}/{stream}/{index}") { h ^= c; h *= 16777619; }
            return (int)(h & 0x7fffffff);
        }
    }

    private static async Task<List<float[]>> BuildBabblePoolAsync(Synthesizer synth, SpeakerIdentity[] speakers, string[] sentences, int seed, CancellationToken ct)
    {
        var random = new Random(seed * 31 + 5);
        var pool = new List<float[]>();
        for (var i = 0; i < 16; i++)
        {
            var speaker = SpeakerCatalog.Draw(speakers, random);
            var prosody = Emotions.Sample(Emotions.Labels[random.Next(Emotions.Labels.Count)], random, speaker.Neutral);
            pool.Add(await synth.SynthesizeAsync(sentences[random.Next(sentences.Length)], speaker, prosody, new ChannelEffects(), ct).ConfigureAwait(false));
        }
        return pool;
    }

    private static async Task<UtteranceEntry> BuildUtteranceAsync(string id, string split, string text, SpeakerIdentity speaker, Random random,
        Synthesizer synth, Augmenter augmenter, Phonemizer phonemizer, IReadOnlyList<float[]> babble, string root, CancellationToken ct)
    {
        var emotion = Emotions.Labels[random.Next(Emotions.Labels.Count)];
        var prosody = Emotions.Sample(emotion, random, speaker.Neutral);
        var augment = new List<string>();
        var channel = new ChannelEffects(
            ReverbPercent: random.NextDouble() < 0.35 ? 15 + random.NextDouble() * 65 : null,
            RoomScale: 20 + random.NextDouble() * 80);
        if (channel.ReverbPercent is { } rv) augment.Add(string.Create(CultureInfo.InvariantCulture, $"reverb:{rv:0}:{channel.RoomScale:0}"));
        var telephone = random.NextDouble() < 0.25 ? Augmenter.SampleTelephone(random) : null;

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
        if (telephone is not null)
        {
            samples = await augmenter.TelephoneAsync(samples, telephone, random, ct).ConfigureAwait(false);
            augment.AddRange(telephone.Tags());
        }
        var clip = random.NextDouble() < 0.06;
        var gainDb = clip ? 20 * Math.Log10(1.0 / Math.Max(1e-3, Augmenter.Peak(samples))) + 3 + random.NextDouble() * 6 : -14 + random.NextDouble() * 14;
        Augmenter.GainAndClip(samples, gainDb);
        augment.Add(clip ? string.Create(CultureInfo.InvariantCulture, $"clip:{gainDb:0}dB") : string.Create(CultureInfo.InvariantCulture, $"gain:{gainDb:0}dB"));
        if (telephone is null && random.NextDouble() < 0.15)
        {
            var codec = random.Next(2) == 0 ? "mp3" : "opus";
            samples = await augmenter.CodecRoundTripAsync(samples, codec, ct).ConfigureAwait(false);
            augment.Add("codec:" + codec);
        }

        var audio = $"audio/{id}.wav";
        PartStore.WriteWavAtomically(Path.Combine(root, audio), samples, channels: 1);
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

    /// <summary>
    /// Held-out text a conversation is scripted from: sentences (template corpus) or real role-labelled dialogues,
    /// grouped by source so that each source is drawn equally often (SGD alone has nine in ten dialogues).
    /// </summary>
    private sealed record ConversationSource(string[] Sentences, DialogueRecord[][] DialoguesBySource);

    /// <summary>Words of one turn at most: long monologues (earnings calls) are cut.</summary>
    private const int MaxTurnWords = 40;

    /// <summary>
    /// A conversation script from held-out text and held-out identities. With real dialogues: a run of 10-17
    /// consecutive turns of one dialogue, each role spoken by its own identity (at most four roles); otherwise 2-4
    /// identities taking turns on random held-out sentences. Moods drift: a speaker changes emotion now and then.
    /// </summary>
    private static List<(SpeakerIdentity Speaker, string Text, string Emotion, int Party)> ScriptConversation(Random random, ConversationSource source,
        SpeakerIdentity[] pool, out string? dialogueId)
    {
        var turns = 10 + random.Next(8);
        var script = new List<(SpeakerIdentity, string, string, int)>();
        var mood = new Dictionary<string, string>();
        string Mood(SpeakerIdentity s)
        {
            if (!mood.ContainsKey(s.Id) || random.NextDouble() < 0.3) mood[s.Id] = mood.ContainsKey(s.Id) ? Emotions.Labels[random.Next(Emotions.Labels.Count)] : "neutral";
            return mood[s.Id];
        }
        if (source.DialoguesBySource.Length > 0)
        {
            var group = source.DialoguesBySource[random.Next(source.DialoguesBySource.Length)];
            var dialogue = group[random.Next(group.Length)];
            dialogueId = dialogue.Id;
            var start = random.Next(Math.Max(1, dialogue.Turns.Count - turns + 1));
            var cast = new Dictionary<string, SpeakerIdentity>(StringComparer.Ordinal);
            var available = pool.OrderBy(_ => random.Next()).ToList();
            foreach (var turn in dialogue.Turns.Skip(start).Take(turns))
            {
                if (!cast.TryGetValue(turn.Role, out var speaker))
                {
                    if (cast.Count == 4 || available.Count == 0) break;
                    cast[turn.Role] = speaker = available[0];
                    available.RemoveAt(0);
                }
                // Party 0 is whoever speaks first (the agent or doctor side of a call); everyone else is party 1.
                var party = cast.Keys.First() == turn.Role ? 0 : 1;
                script.Add((speaker, string.Join(' ', turn.Text.Split(' ').Take(MaxTurnWords)), Mood(speaker), party));
            }
            return script;
        }
        dialogueId = null;
        var people = pool.OrderBy(_ => random.Next()).Take(2 + random.Next(3)).ToArray();
        SpeakerIdentity? previous = null;
        for (var t = 0; t < turns; t++)
        {
            var candidates = people.Where(s => s != previous).ToArray();
            var speaker = candidates[random.Next(candidates.Length)];
            script.Add((speaker, source.Sentences[random.Next(source.Sentences.Length)], Mood(speaker), speaker == people[0] ? 0 : 1));
            previous = speaker;
        }
        return script;
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
            var script = new List<(SpeakerIdentity, string, string, int)>
            {
                (agent, "thank you for calling northwind my name is sarah how can i help you today", "happy", 0),
                (customer, "hello i'm calling about my internet connection it keeps disconnecting", "neutral", 1),
                (agent, "i'm sorry to hear that could you please confirm your full name", "neutral", 0),
                (customer, "it's james wilson and this is the third time i've called about it", "angry", 1),
                (customer, "i have been waiting since monday and nobody has fixed anything", "angry", 1),
                (agent, "i understand you're frustrated let me check that for you", "neutral", 0),
                (supervisor, "hello james this is the team manager i can send an engineer tomorrow morning", "neutral", 0),
                (customer, "tomorrow morning is perfect thank you so much", "happy", 1),
                (agent, "you're welcome is there anything else i can help you with today", "happy", 0),
                (customer, "no that's everything have a lovely day", "happy", 1),
            };
            var rendered = await RenderConversationAsync("conversation", new Random(seed), script, telephone: false, new Synthesizer(_runner, work), new Augmenter(_runner, work), [],
                work, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Renders a script. A room conversation is one mono mix with one noise; a telephone call renders each party's
    /// side on its own channel with its own noise and telephone channel (codec, loss, AGC), written as a two-channel
    /// file (<c>audio2ch</c>) besides the mono mixdown of both sides.
    /// </summary>
    private static async Task<ConversationEntry> RenderConversationAsync(string id, Random random, IReadOnlyList<(SpeakerIdentity Speaker, string Text, string Emotion, int Party)> script,
        bool telephone, Synthesizer synth, Augmenter augmenter, IReadOnlyList<float[]> babble, string root, CancellationToken ct)
    {
        var pieces = new List<(float[] Audio, int Offset, SpeakerIdentity Speaker, string Text, string Emotion, int Party)>();
        var cursor = (int)(0.3 * Synthesizer.SampleRate);
        foreach (var (speaker, text, emotion, party) in script)
        {
            var audio = await synth.SynthesizeAsync(text, speaker, Emotions.Sample(emotion, random, speaker.Neutral), new ChannelEffects(), ct).ConfigureAwait(false);
            var gap = random.NextDouble() < 0.15 ? -(0.2 + random.NextDouble() * 0.3) : 0.2 + random.NextDouble() * 0.8;
            var offset = Math.Max(0, cursor + (int)(gap * Synthesizer.SampleRate));
            pieces.Add((audio, offset, speaker, text, emotion, party));
            cursor = Math.Max(cursor, offset + audio.Length);
        }
        var length = cursor + (int)(0.5 * Synthesizer.SampleRate);
        var sides = telephone ? 2 : 1;
        var tracks = Enumerable.Range(0, sides).Select(_ => new float[length]).ToArray();
        var speech = Enumerable.Range(0, sides).Select(_ => new List<(double Start, double End)>()).ToArray();
        var segments = new List<ConversationSegment>();
        foreach (var (audio, offset, speaker, text, emotion, party) in pieces)
        {
            var side = telephone ? party : 0;
            for (var i = 0; i < audio.Length; i++) tracks[side][offset + i] += audio[i];
            var vad = EnergyVad.Detect(audio);
            if (vad.Count == 0) continue;
            var start = offset / (double)Synthesizer.SampleRate + vad[0].Start;
            var end = offset / (double)Synthesizer.SampleRate + vad[^1].End;
            segments.Add(new ConversationSegment
            {
                Speaker = speaker.Id, Start = Math.Round(start, 3), End = Math.Round(end, 3), Text = text, Emotion = emotion, Channel = telephone ? party : null,
            });
            speech[side].Add((start, end));
        }
        var augment = new List<string>();
        for (var side = 0; side < sides; side++)
        {
            var prefix = telephone ? $"ch{side}:" : "";
            var kind = Augmenter.NoiseKinds[random.Next(Augmenter.NoiseKinds.Length - 1)];
            var snr = 12 + random.NextDouble() * 18;
            if (speech[side].Count > 0) Augmenter.AddNoise(tracks[side], speech[side], kind, snr, random, babble);
            augment.Add(prefix + string.Create(CultureInfo.InvariantCulture, $"noise:{kind}:{snr:0}dB"));
            if (!telephone) continue;
            var profile = Augmenter.SampleTelephone(random);
            tracks[side] = await augmenter.TelephoneAsync(tracks[side], profile, random, ct).ConfigureAwait(false);
            augment.AddRange(profile.Tags().Select(t => prefix + t));
        }
        var mix = new float[length];
        foreach (var track in tracks)
            for (var i = 0; i < length; i++) mix[i] += track[i];
        var peak = Math.Max(Augmenter.Peak(mix), tracks.Max(t => Augmenter.Peak(t)));
        var scale = peak > 0.99 ? (float)(0.9 / peak) : 1f;
        for (var i = 0; i < length; i++) mix[i] *= scale;
        var path = $"conversations/{id}.wav";
        PartStore.WriteWavAtomically(Path.Combine(root, path), mix, channels: 1);
        string? stereo = null;
        if (telephone)
        {
            var interleaved = new float[length * 2];
            for (var i = 0; i < length; i++) { interleaved[2 * i] = tracks[0][i] * scale; interleaved[2 * i + 1] = tracks[1][i] * scale; }
            stereo = $"conversations/{id}.2ch.wav";
            PartStore.WriteWavAtomically(Path.Combine(root, stereo), interleaved, channels: 2);
        }
        return new ConversationEntry
        {
            Id = id, Audio = path, Audio2Ch = stereo, Duration = Math.Round(length / (double)Synthesizer.SampleRate, 3), Augment = augment, Segments = segments,
        };
    }
}
