using System.Diagnostics;
using System.IO.Compression;

namespace MtlBatch.Inference.Tests;

/// <summary>
/// Generates the end-to-end inputs once per test class with real tools: a two-voice espeak-ng conversation as mp3, the
/// same mp3 inside a zip (in a sub-folder), and a stereo file with one voice per channel at known times.
/// </summary>
public sealed class ConversationFixture : IDisposable
{
    public ConversationFixture()
    {
        Folder = TestPaths.NewTempDir("mtlbatch-inference-e2e");
        var a1 = Speak("en-us+m3", "good morning, thank you for calling the support line. how can i help you today?", "a1.wav");
        var b1 = Speak("en-us+f4", "hello, my internet connection keeps dropping every evening since last week.", "b1.wav");
        var a2 = Speak("en-us+m3", "i am sorry to hear that. let me check your line from here.", "a2.wav");
        var silence = Path.Combine(Folder, "gap.wav");
        Run("ffmpeg", $"-v error -y -f lavfi -i anullsrc=r=22050:cl=mono -t 0.8 \"{silence}\"");

        var list = Path.Combine(Folder, "list.txt");
        File.WriteAllLines(list, new[] { a1, silence, b1, silence, a2 }.Select(p => $"file '{p}'"));
        Mp3 = Path.Combine(Folder, "conversation.mp3");
        Run("ffmpeg", $"-v error -y -f concat -safe 0 -i \"{list}\" -ar 22050 -ac 1 -c:a libmp3lame -b:a 64k \"{Mp3}\"");

        Zip = Path.Combine(Folder, "batch.zip");
        using (var zip = ZipFile.Open(Zip, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(Mp3, "calls/day1/conversation.mp3");
            zip.CreateEntryFromFile(Mp3, "calls/day2/second.mp3");
        }

        // Stereo: voice A on the left from 0.5 s, voice B on the right starting VoiceBStart seconds in.
        var aDuration = Duration(a1);
        VoiceAEnd = 0.5 + aDuration;
        VoiceBStart = VoiceAEnd + 1.5;
        VoiceBEnd = VoiceBStart + Duration(b1);
        Stereo = Path.Combine(Folder, "stereo.wav");
        Run("ffmpeg", $"-v error -y -i \"{a1}\" -i \"{b1}\" -filter_complex " +
            $"\"[0]aresample=16000,adelay=500,apad=whole_dur={VoiceBEnd + 1:F2}[l];[1]aresample=16000,adelay={(int)(VoiceBStart * 1000)},apad=whole_dur={VoiceBEnd + 1:F2}[r];[l][r]join=inputs=2:channel_layout=stereo[out]\" " +
            $"-map \"[out]\" -t {VoiceBEnd + 1:F2} -c:a pcm_s16le \"{Stereo}\"");
    }

    public string Folder { get; }
    public string Mp3 { get; }
    public string Zip { get; }
    public string Stereo { get; }
    public double VoiceAEnd { get; }
    public double VoiceBStart { get; }
    public double VoiceBEnd { get; }

    private string Speak(string voice, string text, string name)
    {
        var path = Path.Combine(Folder, name);
        Run("espeak-ng", $"-v {voice} -s 160 -w \"{path}\" \"{text}\"");
        return path;
    }

    public static double Duration(string path) =>
        double.Parse(Run("ffprobe", $"-v error -show_entries format=duration -of csv=p=0 \"{path}\"").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    internal static string Run(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
