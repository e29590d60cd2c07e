namespace MtlBatch.Reliability.Tests;

/// <summary>Short spoken clips (1-2 s, espeak-ng, 22.05 kHz mono WAV), generated once per test run.</summary>
public static class SpeechClips
{
    private static readonly string[] Phrases =
    [
        "hello there", "call me back", "thank you", "see you friday", "the order is late",
        "good morning", "room four", "cancel it please", "that is fine", "one moment",
    ];

    private static readonly Lazy<string> s_folder = new(() => RepoPaths.NewTempFolder("mtlbatch-reliability-clips"));
    private static readonly Lock s_gate = new();

    public static int Count => Phrases.Length;

    public static string Get(int index)
    {
        var path = Path.Combine(s_folder.Value, $"clip{index % Phrases.Length}.wav");
        lock (s_gate)
        {
            if (!File.Exists(path))
                Tools.Run("espeak-ng", ["-v", index % 2 == 0 ? "en-us" : "en-us+f3", "-s", "175", "-w", path, Phrases[index % Phrases.Length]]);
        }
        return path;
    }
}
