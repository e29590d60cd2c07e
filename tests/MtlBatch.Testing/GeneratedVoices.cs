using System.Diagnostics;

namespace MtlBatch.Testing;

/// <summary>
/// Generated voices with real tools (espeak-ng and flite, resampled by sox): "Dana" (espeak-ng en-us+m3) for enrolment and
/// for a separate probe recording of new sentences, an unknown voice (flite kal), one file holding both voices, one short file.
/// </summary>
public sealed class GeneratedVoices : IDisposable
{
    public GeneratedVoices()
    {
        Folder = Directory.CreateTempSubdirectory("mtlbatch-voices-").FullName;
        Enrolment =
        [
            Espeak("good morning, thank you for calling the support line. how can i help you today?", "dana1.wav"),
            Espeak("i am sorry to hear that. let me check your line from here, it will only take a minute.", "dana2.wav"),
            Espeak("your account shows two missed payments this month, shall we set up a plan?", "dana3.wav"),
        ];
        var probe = new[]
        {
            Espeak("thanks for waiting. the engineer will visit on friday morning between nine and twelve.", "dana4.wav"),
            Espeak("if the problem comes back after the visit, call us again and quote the reference number on your email.", "dana5.wav"),
            Espeak("we can also send a replacement router by post, it usually arrives within two working days.", "dana6.wav"),
        };
        DanaProbe = Join("dana-probe.wav", probe);
        Unknown = Flite("hello, my internet connection keeps dropping every evening since last week. that would be great, i work from home.", "unknown.wav");
        TwoVoices = Join("two-voices.wav", [Enrolment[0], Unknown]);
        Short = Enrolment[0];
    }

    public string Folder { get; }
    public IReadOnlyList<string> Enrolment { get; }
    public string DanaProbe { get; }
    public string Unknown { get; }
    public string TwoVoices { get; }
    public string Short { get; }

    private string Espeak(string text, string name)
    {
        var raw = Path.Combine(Folder, "raw-" + name);
        Run("espeak-ng", $"-v en-us+m3 -s 160 -w \"{raw}\" \"{text}\"");
        return Resample(raw, name);
    }

    private string Flite(string text, string name)
    {
        var raw = Path.Combine(Folder, "raw-" + name);
        Run("flite", $"-voice kal -t \"{text}\" -o \"{raw}\"");
        return Resample(raw, name);
    }

    private string Resample(string raw, string name)
    {
        var path = Path.Combine(Folder, name);
        Run("sox", $"\"{raw}\" -r 16000 -c 1 -b 16 \"{path}\"");
        return path;
    }

    /// <summary>The files one after another with 0.6 s of silence between them.</summary>
    private string Join(string name, IReadOnlyList<string> parts)
    {
        var gap = Path.Combine(Folder, "gap.wav");
        if (!File.Exists(gap)) Run("sox", $"-n -r 16000 -c 1 -b 16 \"{gap}\" trim 0 0.6");
        var path = Path.Combine(Folder, name);
        Run("sox", string.Join(' ', parts.SelectMany((p, i) => i == 0 ? new[] { p } : [gap, p]).Select(p => $"\"{p}\"")) + $" \"{path}\"");
        return path;
    }

    private static void Run(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{tool} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {arguments} failed ({process.ExitCode}): {stderr.Result} (the dev profile installs espeak-ng, flite and sox: bash scripts/bootstrap.sh dev)");
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

