using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Audio;
using MtlBatch.Corpus.Import;

namespace MtlBatch.Corpus.Tests;

/// <summary>
/// Each importer on a tiny fixture made here (espeak-ng speech, ffmpeg for µ-law, mp3 and sample rates), written
/// by the real writer; plus the WUW annotation rules and the held-out split.
/// </summary>
public sealed class ImportTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mtlbatch-import-" + Guid.NewGuid().ToString("N"));
    private readonly ProcessRunner _runner = new();

    public ImportTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string P(params string[] parts) => Path.Combine([_root, .. parts]);

    /// <summary>Speech from espeak-ng with 0.4 s of silence either side, re-encoded by ffmpeg into the wanted format.</summary>
    private async Task SpeechAsync(string path, string text, params string[] ffmpegOutput)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var raw = path + ".espeak.wav";
        await _runner.RunAsync("espeak-ng", ["-v", "en-us", "-w", raw, text], Ct);
        await _runner.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", raw, "-af", "adelay=400,apad=pad_dur=0.4", .. ffmpegOutput, path], Ct);
        File.Delete(raw);
    }

    private async Task<(ImportSummary Summary, List<UtteranceEntry> Train, List<UtteranceEntry> All)> ImportAsync(ImportFormat format, string source, string output, ImportOptions? options = null)
    {
        var tree = SourceTree.Open(source);
        var plan = await Importers.PlanAsync(format, tree, options ?? new ImportOptions(), Ct);
        var summary = await new CorpusImportWriter(_runner, NullLogger<CorpusImportWriter>.Instance).WriteAsync(plan, tree, output, 2, Ct);
        var all = new List<UtteranceEntry>();
        foreach (var split in new[] { "train", "valid", "test" })
            all.AddRange(await ManifestIo.ReadLinesAsync<UtteranceEntry>(Path.Combine(output, split + ".jsonl"), Ct));
        foreach (var e in all)
        {
            var info = WavReader.ReadInfo(Path.Combine(output, e.Audio));
            Assert.Equal(16000, info.SampleRate);
            Assert.Equal(1, info.Channels);
            Assert.Equal(e.Duration, info.DurationSeconds, 2);
        }
        return (summary, all.Where(e => e.Split == "train").ToList(), all);
    }

    [Theory]
    [InlineData("[click] Operator", WuwTextKind.Text, "operator")]
    [InlineData("{breath} well I'm +gonna use _ThinkEngine_ [static/] right now [/static] [prices paid]", WuwTextKind.Text, "well i'm gonna use think engine right now")]
    [InlineData("{smack} ok *unfree [\\static Voyager_ [[skip]]", WuwTextKind.Text, "okay unfree voyager")]
    [InlineData("oh Hi, how are you? [background talking/] Wildfire.", WuwTextKind.Text, "oh hi how are you wildfire")]
    [InlineData("this is (( )) Onword", WuwTextKind.NoText, null)]
    [InlineData("I think wh- Wildfire", WuwTextKind.NoText, null)]
    [InlineData("spell ~I ~T", WuwTextKind.NoText, null)]
    [InlineData("call 911 Operator", WuwTextKind.NoText, null)]
    [InlineData("{breath} [click]", WuwTextKind.NoText, null)]
    [InlineData("hello this is ^John calling", WuwTextKind.Drop, null)]
    [InlineData("yes My Name is Karen and I need the Operator", WuwTextKind.Drop, null)]
    public void Wuw_orthography_rules(string orthography, WuwTextKind kind, string? text)
    {
        var (k, t) = WuwOrthography.Normalize(orthography);
        Assert.Equal(kind, k);
        Assert.Equal(text, t);
    }

    [Fact]
    public async Task Wuw_import_never_reads_utterance_000_and_keeps_sessions_in_one_split()
    {
        var repo = P("wuw");
        var lines = new List<string> { "# Date|Time|Gender|Dialect|Phonetype|File Name|Call NO|Utt. NO|Start Time|End Time|Ortho" };
        var sessions = new[] { "00001", "00002", "00003" };
        foreach (var s in sessions)
        {
            lines.Add($"12.21.2001|03.50.03|male|native|cellphone|{s}|000|WUWII{s}_000.ulaw|0.5|1.5|{{smack}} Pat Example");
            lines.Add($"12.21.2001|03.50.15|male|native|cellphone|{s}|001|WUWII{s}_001.ulaw|0.5|1.1|[click] Operator");
            lines.Add($"12.21.2001|03.50.20|male|native|cellphone|{s}|006|WUWII{s}_006.ulaw|2.0|2.6|{{breath}} please connect me to the _Operator_ [static]");
            lines.Add($"12.21.2001|03.50.25|male|native|cellphone|{s}|007|WUWII{s}_007.ulaw|2.0|2.6|hi this is ^Pat again ThinkEngine");
            foreach (var (u, text) in new[] { ("000", "pat example"), ("001", "operator"), ("006", "please connect me to the operator"), ("007", "hi again think engine") })
                await SpeechAsync(P("wuw", "calls", s, $"WUWII{s}_{u}.ulaw"), text, "-ar", "8000", "-ac", "1", "-f", "mulaw");
        }
        Directory.CreateDirectory(P("wuw", "archive"));
        await File.WriteAllLinesAsync(P("wuw", "archive", "WUWII_Transcriptions.txt"), lines, Ct);

        var (summary, _, all) = await ImportAsync(ImportFormat.Wuw, repo, P("out-wuw"));
        Assert.Equal(6, all.Count);
        Assert.DoesNotContain(all, e => e.Utterance is "000" or "007");
        Assert.Empty(Directory.GetFiles(P("out-wuw", "audio"), "*-000.wav"));
        Assert.Equal(6, Directory.GetFiles(P("out-wuw", "audio"), "*.wav").Length);
        Assert.Equal(3, summary.Dropped["utterance 000 (caller's name): never imported"]);
        Assert.Equal(3, summary.Dropped["may contain a person's name (^ proper noun or 'my name')"]);
        foreach (var e in all)
        {
            Assert.Equal("real", e.Engine);
            Assert.Equal("wuw", e.Source);
            Assert.Equal("cellphone", e.PhoneType);
            Assert.Equal(HeldOutSplit.SplitOf("wuw", e.Speaker!["wuw-".Length..]), e.Split);
            Assert.NotNull(e.Phonemes);
            var vad = Assert.Single(e.Vad!);
            Assert.InRange(vad[0], 0.2, 0.7);
            Assert.InRange(e.Duration - vad[1], 0.1, 0.7);
        }
        Assert.Equal("please connect me to the operator", all.First(e => e.Utterance == "006").Text);
        Assert.All(all.GroupBy(e => e.Speaker), g => Assert.Single(g.Select(e => e.Split).Distinct()));
    }

    [Fact]
    public async Task Speech_commands_words_unknown_and_silence()
    {
        await SpeechAsync(P("sc", "dataset", "yes", "0a7c2a8d_nohash_0.wav"), "yes");
        await SpeechAsync(P("sc", "dataset", "stop", "0a7c2a8d_nohash_1.wav"), "stop");
        await SpeechAsync(P("sc", "dataset", "_unknown_", "marvin_1b2c3d4e_nohash_0.wav.wav"), "marvin");
        Directory.CreateDirectory(P("sc", "dataset", "_silence_"));
        await _runner.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anoisesrc=d=1:a=0.01", "-ar", "16000", P("sc", "dataset", "_silence_", "noise_0.wav")], Ct);
        await File.WriteAllTextAsync(P("sc", "README.md"), "not audio", Ct);

        var (_, _, all) = await ImportAsync(ImportFormat.SpeechCommands, P("sc"), P("out-sc"));
        Assert.Equal(4, all.Count);
        var yes = all.Single(e => e.Text == "yes");
        Assert.Equal("sc-0a7c2a8d", yes.Speaker);
        Assert.Equal(HeldOutSplit.SplitOf("speech-commands", "0a7c2a8d"), yes.Split);
        Assert.NotEmpty(yes.Vad!);
        var unknown = all.Single(e => e.Utterance == "_unknown_");
        Assert.Equal("marvin", unknown.Text);
        Assert.Equal("sc-1b2c3d4e", unknown.Speaker);
        var silence = all.Single(e => e.Utterance == "_silence_");
        Assert.Null(silence.Speaker);
        Assert.Empty(silence.Vad!);
    }

    [Fact]
    public async Task Librispeech_speakers_are_cropped_and_held_out_by_speaker()
    {
        await SpeechAsync(P("ls", "audio_data", "librispeech_test-other", "1688", "1688-142285-0000.flac"),
            "it was a long and quiet evening, and the travellers rested by the fire for many hours before they spoke again", "-ar", "16000");
        var (_, _, all) = await ImportAsync(ImportFormat.LibrispeechSpeakers, P("ls"), P("out-ls"), new ImportOptions { CropSeconds = 2.0 });
        Assert.True(all.Count >= 3, $"{all.Count} crops");
        Assert.All(all, e => Assert.Equal("ls-1688", e.Speaker));
        Assert.All(all, e => Assert.Null(e.Text));
        Assert.All(all.SkipLast(1), e => Assert.Equal(2.0, e.Duration, 2));
        Assert.Equal(all.Select(e => e.Id).OrderBy(i => i, StringComparer.Ordinal), all.Select(e => e.Id));
        Assert.Single(all.Select(e => e.Split).Distinct());
    }

    [Fact]
    public async Task Rttm_held_out_recordings_become_conversations_and_others_speaker_clips()
    {
        foreach (var name in new[] { "trñ00", "trn01" })
            await SpeechAsync(P("rt", "data", name + ".wav"), "good morning everyone, let us start the meeting now, who wants to go first today", "-ar", "16000");
        await File.WriteAllLinesAsync(P("rt", "data", "debug.train.rttm"), [
            "SPEAKER trn00 1 0.400 1.500 <NA> <NA> MÉO069 <NA> <NA>",
            "SPEAKER trn00 1 2.000 1.200 <NA> <NA> MEE068 <NA> <NA>",
            "SPEAKER trn00 1 2.900 0.900 <NA> <NA> MÉO069 <NA> <NA>",
            "SPEAKER trn01 1 0.400 2.000 <NA> <NA> FEE005 <NA> <NA>",
            "SPEAKER trn01 1 2.600 1.500 <NA> <NA> MEE068 <NA> <NA>",
            "SPEAKER dev00 1 0.400 2.000 <NA> <NA> FEE005 <NA> <NA>",
        ], Ct);
        var (summary, train, all) = await ImportAsync(ImportFormat.Rttm, P("rt"), P("out-rt"), new ImportOptions { Include = ["trn"], TestRecordings = ["trn01"] });
        // trn00: the first turn stands alone; the other two overlap each other.
        var clip = Assert.Single(train);
        Assert.Equal("rttm-MEO069", clip.Speaker);
        Assert.Equal(1.5, clip.Duration, 1);
        Assert.Equal(2, all.Count(e => e.Split == "test"));
        var conversations = await ManifestIo.ReadLinesAsync<ConversationEntry>(P("out-rt", "conversations.jsonl"), Ct);
        var conversation = Assert.Single(conversations);
        Assert.Equal("rttm-trn01", conversation.Id);
        Assert.Equal(["rttm-FEE005", "rttm-MEE068"], conversation.Segments.Select(s => s.Speaker));
        Assert.Equal(1, summary.Conversations);
    }

    [Fact]
    public async Task Kaldi_data_directory_with_segments()
    {
        await SpeechAsync(P("kaldi", "wav", "rec1.wav"), "hello there. this is the second sentence of the recording", "-ar", "22050");
        await File.WriteAllLinesAsync(P("kaldi", "wav.scp"), ["rec1 wav/rec1.wav"], Ct);
        await File.WriteAllLinesAsync(P("kaldi", "segments"), ["spkA-rec1-0001 rec1 0.30 1.40", "spkA-rec1-0002 rec1 1.40 3.50"], Ct);
        await File.WriteAllLinesAsync(P("kaldi", "text"), ["spkA-rec1-0001 HELLO THERE", "spkA-rec1-0002 <unk> 42"], Ct);
        await File.WriteAllLinesAsync(P("kaldi", "utt2spk"), ["spkA-rec1-0001 spkA", "spkA-rec1-0002 spkA"], Ct);
        var (summary, _, all) = await ImportAsync(ImportFormat.Kaldi, P("kaldi"), P("out-kaldi"), new ImportOptions { Split = "train" });
        Assert.Equal(2, all.Count);
        Assert.Equal("hello there", all[0].Text);
        Assert.Null(all[1].Text);
        Assert.Equal(1.1, all[0].Duration, 1);
        Assert.All(all, e => Assert.Equal("kaldi-spkA", e.Speaker));
        Assert.Equal(1, summary.Dropped["kept without transcript (text not normalisable)"]);

        await File.WriteAllLinesAsync(P("kaldi", "wav.scp"), ["rec1 sox wav/rec1.wav -t wav - |"], Ct);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Importers.PlanAsync(ImportFormat.Kaldi, SourceTree.Open(P("kaldi")), new ImportOptions(), Ct));
        Assert.Contains("is a command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Common_voice_tsv_splits_and_mp3_clips()
    {
        await SpeechAsync(P("cv", "clips", "common_voice_en_1.mp3"), "the weather is nice today", "-ar", "48000", "-c:a", "libmp3lame");
        await SpeechAsync(P("cv", "clips", "common_voice_en_2.mp3"), "please call me back", "-ar", "48000", "-c:a", "libmp3lame");
        const string header = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent";
        await File.WriteAllLinesAsync(P("cv", "train.tsv"), [header, "abcdef0123456789abcdef\tcommon_voice_en_1.mp3\tThe weather is nice today.\t2\t0\t\t\t"], Ct);
        await File.WriteAllLinesAsync(P("cv", "test.tsv"), [header, "99990123456789abcdef\tcommon_voice_en_2.mp3\tPlease call me back!\t2\t0\t\t\t", "x\tmissing.mp3\tgone\t0\t0\t\t\t"], Ct);
        var (summary, train, all) = await ImportAsync(ImportFormat.CommonVoice, P("cv"), P("out-cv"));
        Assert.Equal("the weather is nice today", Assert.Single(train).Text);
        Assert.Equal("please call me back", all.Single(e => e.Split == "test").Text);
        Assert.Equal("cv-abcdef0123456789", train[0].Speaker);
        Assert.Equal(1, summary.Dropped["clip not found"]);
    }

    [Fact]
    public async Task Ljspeech_metadata_and_a_bare_git_directory_source()
    {
        await SpeechAsync(P("lj", "tests", "data", "ljspeech", "wavs", "LJ001-0002.wav"), "in being comparatively modern", "-ar", "22050");
        await File.WriteAllTextAsync(P("lj", "tests", "data", "ljspeech", "wavs", "LJ001-0002.npy"), "not audio", Ct);
        await File.WriteAllLinesAsync(P("lj", "tests", "data", "ljspeech", "metadata.csv"), ["LJ001-0002|in being comparatively modern.|in being comparatively modern.", "LJ001-0003|absent|absent"], Ct);
        foreach (var args in new[] { new[] { "init", "-q" }, ["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "fixture"] })
            await _runner.RunAsync("git", ["-C", P("lj"), .. args], Ct);
        var (summary, train, _) = await ImportAsync(ImportFormat.Ljspeech, P("lj", ".git"), P("out-lj"));
        var e = Assert.Single(train);
        Assert.Equal("in being comparatively modern", e.Text);
        Assert.Equal("lj-ljspeech", e.Speaker);
        Assert.Equal(1, summary.Dropped["audio file not in the repository"]);
    }

    [Fact]
    public void Held_out_split_is_stable_and_about_twelve_percent()
    {
        // Pinned: a change of the hash or the bucket bounds would silently change the published held-out set.
        Assert.Equal(HeldOutSplit.SplitOf("wuw", "00006"), HeldOutSplit.SplitOf("wuw", "00006"));
        Assert.Equal("test", HeldOutSplit.SplitOf("wuw", "00006"));
        var splits = Enumerable.Range(0, 5000).Select(i => HeldOutSplit.SplitOf("speech-commands", i.ToString("x8", System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.InRange(splits.Count(s => s == "test") / 5000.0, 0.10, 0.14);
        Assert.InRange(splits.Count(s => s == "valid") / 5000.0, 0.04, 0.08);
        Assert.NotEqual(HeldOutSplit.Bucket("wuw", "00006"), HeldOutSplit.Bucket("speech-commands", "00006") + 1000);
    }

    [Fact]
    public void Recording_vad_finds_a_burst_and_nothing_in_steady_noise()
    {
        var samples = new float[32000];
        var random = new Random(1);
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(random.NextDouble() - 0.5) * 0.002f;
        Assert.Empty(RecordingVad.Detect(samples));
        for (var i = 8000; i < 16000; i++) samples[i] += 0.3f * MathF.Sin(i * 0.05f);
        var speech = Assert.Single(RecordingVad.Detect(samples));
        Assert.InRange(speech[0], 0.42, 0.5);
        Assert.InRange(speech[1], 1.0, 1.08);
    }
}
