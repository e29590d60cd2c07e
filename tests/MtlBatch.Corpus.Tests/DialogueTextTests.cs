using System.Diagnostics;
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

    [Fact]
    public async Task A_bare_git_directory_reads_like_a_folder()
    {
        var folder = WriteAllSources()[0];
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
        var fromFolder = await BuildAsync([folder]);
        var fromGit = await BuildAsync([Path.Combine(folder, ".git")]);
        Assert.Equal(fromFolder.All.Select(d => d.Id), fromGit.All.Select(d => d.Id));
        Assert.Equal(fromFolder.Text.TrainSentences, fromGit.Text.TrainSentences);
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
