using System.Diagnostics;
using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using MtlBatch.Corpus.Text;

namespace MtlBatch.Corpus.Tests;

/// <summary>The dialogue text extractor on tiny sources written here in each real source's layout.</summary>
public sealed class DialogueTextTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mtlbatch-text-").FullName;
    private static readonly CancellationToken Ct = CancellationToken.None;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string source, string path, string content)
    {
        var full = Path.Combine(_root, source, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return Path.Combine(_root, source);
    }

    private static string HeldOutSgdId() => Enumerable.Range(0, 1000).Select(i => $"9_{i:D5}").First(id => DialogueText.IsHeldOut("sgd:train/" + id));
    private static string TrainSgdId() => Enumerable.Range(0, 1000).Select(i => $"9_{i:D5}").First(id => !DialogueText.IsHeldOut("sgd:train/" + id));

    private static string SgdDialogue(string id, params (string Speaker, string Text)[] turns) =>
        $$"""{"dialogue_id": "{{id}}", "services": ["Buses_1"], "turns": [{{string.Join(",", turns.Select(t => $$"""{"speaker": "{{t.Speaker}}", "utterance": "{{t.Text}}", "frames": []}"""))}}]}""";

    private string[] WriteAllSources()
    {
        var sgd = Write("sgd", "train/dialogues_001.json", "[" + string.Join(",",
            SgdDialogue(TrainSgdId(), ("USER", "I need a bus for 2 people at 3:30 pm."), ("SYSTEM", "The ticket costs $12.50. Is that okay?"), ("USER", "Yes, that works for me.")),
            SgdDialogue(HeldOutSgdId(), ("USER", "Yes, that works for me."), ("SYSTEM", "I booked the table for March 3rd."), ("USER", "Thank you so much for the help."))) + "]");
        Write("sgd", "train/schema.json", "[]");
        var primock = Write("primock", "transcripts/day1_consultation01_doctor.TextGrid", TextGrid("Doctor", (0.5, 2.0, "Hello, how can I help you today?"), (6.0, 8.0, "<UNIN/> How long has that been going on?")));
        Write("primock", "transcripts/day1_consultation01_patient.TextGrid", TextGrid("Patient", (2.5, 5.5, "Um, I've had a headache since Monday morning."), (8.5, 9.5, "About 3 days.")));
        var aci = Write("aci", "data/challenge_data/train.csv", "dataset,encounter_id,dialogue,note\nvirtassist,D2N001,\"[doctor] hi , how are you doing today ?\n[patient] i 'm doing okay , i do n't feel great .\n[doctor] okay .\",\"note, with comma\"\n");
        Write("aci", "data/challenge_data/train_metadata.csv", "dataset,encounter_id,dialogue,note\nx,META,\"[doctor] this must not be read at all today\",n\n");
        var mts = Write("mts", "Main-Dataset/MTS-Dialog-TrainingSet.csv", "ID,section_header,section_text,dialogue\n0,GENHX,\"Summary.\",\"Doctor: When did the pain start?\nPatient: It started about two weeks ago.\nGuest_family: She has been very tired too.\"\n");
        var earnings = Write("earnings", "earnings21/transcripts/nlp_references/4320211.nlp",
            "token|speaker|ts|endTs|punctuation|case|tags|wer_tags\nGood|0||||UC|[]|[]\nmorning|0|||,|LC|[]|[]\neveryone|0|||.|LC|[]|[]\nRevenue|1||||UC|[]|[]\ngrew|1||||LC|[]|[]\n12%|1||||LC|[]|[]\nin|1||||LC|[]|[]\n2020|1|||.|CA|['0:YEAR']|[]\nOur|1||||UC|[]|[]\nCEO|1||||CA|[]|[]\nwill|1||||LC|[]|[]\nspeak|1||||LC|[]|[]\nnext|1|||.|LC|[]|[]\n");
        return [sgd, primock, aci, mts, earnings];
    }

    private static string TextGrid(string tier, params (double Start, double End, string Text)[] intervals) =>
        $"File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\nitem []:\n    item [1]:\n        class = \"IntervalTier\"\n        name = \"{tier}\"\n        intervals: size = {intervals.Length}\n" +
        string.Concat(intervals.Select((iv, i) => $"        intervals [{i + 1}]:\n            xmin = {iv.Start.ToString(System.Globalization.CultureInfo.InvariantCulture)} \n            xmax = {iv.End.ToString(System.Globalization.CultureInfo.InvariantCulture)} \n            text = \"{iv.Text}\" \n"));

    private async Task<(DialogueText Text, List<DialogueRecord> All, IReadOnlyDictionary<string, TextSourceSummary> Summary)> BuildAsync(string[] sources)
    {
        var output = Path.Combine(_root, "out");
        var summary = await new TextCorpusBuilder(NullLogger<TextCorpusBuilder>.Instance).BuildAsync(sources, output, Ct, dictionaryFile: Path.Combine(_root, "no-dictionary"));
        return (await DialogueText.LoadAsync(output, Ct), await ManifestIo.ReadLinesAsync<DialogueRecord>(Path.Combine(output, DialogueText.DialoguesFile), Ct), summary);
    }

    [Fact]
    public async Task Every_source_gives_normalised_turns_with_speaker_roles()
    {
        var (_, all, summary) = await BuildAsync(WriteAllSources());
        Assert.Equal(["aci-bench", "earnings", "mts-dialog", "primock57", "sgd"], summary.Keys.Order(StringComparer.Ordinal));
        var sgd = all.Single(d => d.Id == "sgd:train/" + TrainSgdId());
        Assert.Equal(["customer", "agent", "customer"], sgd.Turns.Select(t => t.Role));
        Assert.Equal("i need a bus for two people at three thirty p m", sgd.Turns[0].Text);
        Assert.Equal("the ticket costs twelve dollars and fifty cents is that okay", sgd.Turns[1].Text);

        var primock = all.Single(d => d.Source == "primock57");
        Assert.Equal("primock57:day1_consultation01", primock.Id);
        Assert.Equal(["doctor", "patient", "doctor", "patient"], primock.Turns.Select(t => t.Role));
        Assert.Equal("how long has that been going on", primock.Turns[2].Text);
        Assert.Equal("about three days", primock.Turns[3].Text);

        var aci = Assert.Single(all, d => d.Source == "aci-bench");
        Assert.Equal("aci-bench:train/D2N001", aci.Id);
        Assert.Equal(["doctor", "patient", "doctor"], aci.Turns.Select(t => t.Role));
        Assert.Equal("i'm doing okay i don't feel great", aci.Turns[1].Text);

        var mts = Assert.Single(all, d => d.Source == "mts-dialog");
        Assert.Equal(["doctor", "patient", "guest_family"], mts.Turns.Select(t => t.Role));

        var earnings = Assert.Single(all, d => d.Source == "earnings");
        Assert.Equal("earnings21:4320211", earnings.Id);
        Assert.Equal(["speaker0", "speaker1"], earnings.Turns.Select(t => t.Role));
        // The sentence with the acronym is dropped; the rest of the turn stays.
        Assert.Equal("revenue grew twelve percent in twenty twenty", earnings.Turns[1].Text);
        Assert.All(all.SelectMany(d => d.Turns), t => Assert.Equal(TextNormalizer.Normalize(t.Text), t.Text));
    }

    [Fact]
    public async Task Whole_dialogues_are_held_out_and_their_sentences_never_trained_on()
    {
        var (text, all, _) = await BuildAsync(WriteAllSources());
        Assert.All(all, d => Assert.Equal(DialogueText.IsHeldOut(d.Id) ? "heldout" : "train", d.Split));
        var held = Assert.Single(text.HeldOutDialogues, d => d.Id.StartsWith("sgd:", StringComparison.Ordinal));
        Assert.Equal("sgd:train/" + HeldOutSgdId(), held.Id);
        Assert.Contains("thank you so much for the help", text.HeldOutSentences);
        // Said in both a training and a held-out dialogue: training only.
        Assert.Contains("yes that works for me", text.TrainSentences);
        Assert.DoesNotContain("yes that works for me", text.HeldOutSentences);
        Assert.Empty(text.TrainSentences.Intersect(text.HeldOutSentences));
        Assert.All(text.TrainSentences.Concat(text.HeldOutSentences), s => Assert.True(TextCorpusBuilder.IsUtteranceLength(s), s));
        Assert.DoesNotContain(text.TrainSentences, s => s.Contains("must not be read", StringComparison.Ordinal));
    }

    /// <summary>Commits the folder into a new git repository and returns its .git directory.</summary>
    private static string CommitToGit(string folder)
    {
        void Git(params string[] args)
        {
            var psi = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", "user.name=test", "-c", "user.email=test@example.org" }.Concat(args)) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        Git("init", "-q");
        Git("add", ".");
        Git("commit", "-q", "-m", "fixture");
        return Path.Combine(folder, ".git");
    }

    [Fact]
    public async Task A_bare_git_directory_reads_like_a_folder()
    {
        var folder = WriteAllSources()[0];
        var gitDir = CommitToGit(folder);
        var fromFolder = await BuildAsync([folder]);
        var fromGit = await BuildAsync([gitDir]);
        Assert.Equal(fromFolder.All.Select(d => d.Id), fromGit.All.Select(d => d.Id));
        Assert.Equal(fromFolder.Text.TrainSentences, fromGit.Text.TrainSentences);
    }

    // Two calls in nltk_data's layout: call 01 is held out by the id hash, call 02 is not (checked in the test).
    private const string SwitchboardTranscript =
        "A.1: Uh, do you have a pet Randy? \n" +
        "B.2: Uh, yeah, currently we have a poodle. \n" +
        "A.3: A poodle, miniature or, uh, full size? <laughter> \n" +
        "B.4: Well, um, it's my wife's dog, <<pause> uh, I, I became part owner six months ago. \n" +
        "A.5: Oh, uh-huh. So, you, you've only known the dog, wh-, how long did you say. \n" +
        "B.6: Mitzi, come here, the dog is barking at the door. \n" +
        "A.7: I, I think [ the, + the ] dog is, uh, very smart, - \n" +
        "and it learns fast. \n" +
        "\n" +
        "A.1: Have you ever served on a jury? \n" +
        "B.2: Never, I have never been called up for a jury. \n" +
        "A.3: Well, my name is on the list of jurors this year. \n" +
        "B.4: I lived in Dallas for a year, you know. \n" +
        "A.5: I'm sure the judge knows best, um, most of the time. \n";

    private string WriteSwitchboard()
    {
        var folder = Path.Combine(_root, "nltk_data");
        var zipPath = Path.Combine(folder, "packages", "corpora", "switchboard.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zipPath)!);
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            void Entry(string name, string text)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write(text);
            }
            Entry("switchboard/README", "Switchboard Corpus Sample\n");
            Entry("switchboard/transcript", SwitchboardTranscript);
            // The sample's own tagging marks the sentence-initial name as a proper noun.
            Entry("switchboard/tagged", "B.6: Mitzi/NNP ,/, come/VB here/RB ,/, the/DT dog/NN is/VBZ barking/VBG ./.\nA.3: A/NNP poodle/NN\n");
        }
        Write("nltk_data", "packages/corpora/switchboard.xml", "<package id=\"switchboard\" unzip=\"1\"/>");
        return folder;
    }

    [Fact]
    public async Task Switchboard_calls_become_dialogues_without_the_callers_names()
    {
        var (text, all, summary) = await BuildAsync([WriteSwitchboard()]);
        var source = Assert.Single(summary).Value;
        Assert.Equal("switchboard", summary.Keys.Single());
        Assert.Equal(2, source.Dialogues);
        // Randy (capitalised inside the sentence), Mitzi (a proper noun of the tagging), "my name", Dallas.
        Assert.Equal(4, source.TurnsDroppedForNames);
        Assert.Equal(12, source.Turns);

        var first = all.Single(d => d.Id == "switchboard:01");
        Assert.Equal(["caller_b", "caller_a", "caller_b", "caller_a", "caller_a"], first.Turns.Select(t => t.Role));
        Assert.Equal("uh yeah currently we have a poodle", first.Turns[0].Text);
        Assert.Equal("a poodle miniature or uh full size", first.Turns[1].Text);
        Assert.Equal("well um it's my wife's dog uh i i became part owner six months ago", first.Turns[2].Text);
        // The partial word goes, the disfluencies stay as words.
        Assert.Equal("oh uh huh so you you've only known the dog how long did you say", first.Turns[3].Text);
        // The continuation line belongs to the turn; the disfluency marks and the restart dash go.
        Assert.Equal("i i think the the dog is uh very smart and it learns fast", first.Turns[4].Text);

        var second = all.Single(d => d.Id == "switchboard:02");
        Assert.Equal(["caller_a", "caller_b", "caller_a"], second.Turns.Select(t => t.Role));
        Assert.Equal("i'm sure the judge knows best um most of the time", second.Turns[2].Text);

        var everything = string.Join(' ', all.SelectMany(d => d.Turns).Select(t => t.Text).Concat(text.TrainSentences).Concat(text.HeldOutSentences));
        foreach (var name in new[] { "randy", "mitzi", "dallas", "my name", "laughter", "pause" })
            Assert.DoesNotContain(name, everything, StringComparison.Ordinal);

        // Whole calls are held out: every sentence of the held-out call is held-out text only.
        Assert.True(DialogueText.IsHeldOut(first.Id) && !DialogueText.IsHeldOut(second.Id), "fixture: call 01 held out, call 02 trained on");
        Assert.Equal("heldout", first.Split);
        Assert.Equal("train", second.Split);
        Assert.Equal(1, source.HeldOutDialogues);
        Assert.Contains("uh yeah currently we have a poodle", text.HeldOutSentences);
        Assert.Contains("have you ever served on a jury", text.TrainSentences);
        Assert.DoesNotContain(text.TrainSentences, s => s.Contains("poodle", StringComparison.Ordinal));
        Assert.DoesNotContain(text.HeldOutSentences, s => s.Contains("jury", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_switchboard_zip_reads_the_same_from_a_bare_git_directory()
    {
        var folder = WriteSwitchboard();
        var fromFolder = await BuildAsync([folder]);
        var fromGit = await BuildAsync([CommitToGit(folder)]);
        Assert.Equal(2, fromGit.All.Count);
        Assert.Equal(fromFolder.All.SelectMany(d => d.Turns), fromGit.All.SelectMany(d => d.Turns));
        Assert.Equal(fromFolder.Text.TrainSentences.Concat(fromFolder.Text.HeldOutSentences), fromGit.Text.TrainSentences.Concat(fromGit.Text.HeldOutSentences));
    }

    [Fact]
    public async Task A_folder_that_is_no_known_source_is_an_error() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => BuildAsync([Write("other", "readme.txt", "nothing here")]));

    [Fact]
    public void Csv_fields_keep_commas_quotes_and_line_breaks()
    {
        var rows = DialogueReaders.ParseCsv("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n");
        Assert.Equal(2, rows.Count);
        Assert.Equal(["x, \"y\"", "two\nlines"], rows[1]);
    }
}
