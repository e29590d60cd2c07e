using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using MtlBatch.Core;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// One hostile or odd input. <see cref="Expected"/> lists the outcome of every recording the input turns into
/// ("result" or a stable error code; an archive yields one outcome per entry), sorted. <see cref="PipelineExpected"/>
/// overrides it where the pipeline legitimately differs from `mtlbatch analyze` (e.g. blob-name rules).
/// </summary>
public sealed record CorpusCase(string Name, string Category, string What, string[] Expected, string[]? PipelineExpected = null)
{
    public const string Result = "result";
    public bool IsArchive => Audio.InputNames.IsArchiveName(Name);
    public string[] ExpectedFor(bool pipeline) => (pipeline ? PipelineExpected : null) ?? Expected;
    /// <summary>A short printable label for the table (the 1,000-character name is abbreviated).</summary>
    public string Label => Name.Length <= 60 ? Name : $"{Name[..24]}…{Name[^20..]} ({Name.Length} chars)";

    /// <summary>True when <paramref name="recording"/> (a name relative to the corpus root) came from this input.</summary>
    public bool Owns(string recording) => OwnsName(recording, Name) || OwnsName(recording, StoredName);

    /// <summary>The blob name the upload gets: Azure Storage (and Azurite) turn '\' into '/'.</summary>
    public string StoredName => Name.Replace('\\', '/');

    private bool OwnsName(string recording, string name) =>
        recording == name || recording.StartsWith(name + "~", StringComparison.Ordinal)
        || (IsArchive && recording.StartsWith(Audio.InputNames.StripArchiveExtension(name) + "/", StringComparison.Ordinal));
}

/// <summary>
/// Generates the hostile-input corpus into a temp folder with the real ffmpeg, zip, System.IO.Compression and
/// System.Formats.Tar. Nothing is committed; the biggest file is the 12-hour FLAC (~8 MB of silence).
/// </summary>
public sealed class HostileCorpus
{
    /// <summary>Limits used for corpus runs (CLI through environment variables, pipeline through configuration).</summary>
    public static readonly Dictionary<string, string> Limits = new()
    {
        // Below 12 h so the 12-hour stream is refused by the probe, above 1 h so the hour of silence is analysed.
        ["Limits:MaxDurationSeconds"] = "7200",
        // Below the 10,000-entry archive: rejected from the zip central directory, nothing extracted.
        ["Limits:MaxArchiveEntries"] = "5000",
    };

    public const int ArchiveEntries = 10_000;
    public static readonly string LongName = MakeLongName();

    public string Folder { get; }
    public IReadOnlyList<CorpusCase> Cases { get; }

    private readonly string _scratch;
    private readonly List<CorpusCase> _cases = [];

    public HostileCorpus()
    {
        Folder = RepoPaths.NewTempFolder("mtlbatch-hostile-corpus");
        _scratch = RepoPaths.NewTempFolder("mtlbatch-hostile-scratch");
        Cases = _cases;
        Generate();
        Directory.Delete(_scratch, recursive: true);
    }

    public string PathOf(CorpusCase c) => Path.Combine([Folder, .. c.Name.Split('/')]);

    private void Add(string name, string category, string what, string[] expected, Action<string> make, string[]? pipeline = null)
    {
        var path = Path.Combine([Folder, .. name.Split('/')]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        make(path);
        Array.Sort(expected, StringComparer.Ordinal);
        if (pipeline is not null) Array.Sort(pipeline, StringComparer.Ordinal);
        _cases.Add(new CorpusCase(name, category, what, expected, pipeline));
    }

    private static string[] Outcomes(params string[] outcomes) => outcomes;
    private const string R = CorpusCase.Result;

    private void Generate()
    {
        var speech = Scratch("speech.wav");
        Tools.Run("espeak-ng", ["-v", "en-us", "-s", "170", "-w", speech, "please call me back after lunch"]);
        var mp3 = Scratch("speech.mp3");
        Tools.Ffmpeg("-i", speech, mp3);
        var m4a = Scratch("speech.m4a");
        Tools.Ffmpeg("-i", speech, "-c:a", "aac", m4a);
        var wav = File.ReadAllBytes(speech);
        var random = new byte[65536];
        new Random(20240607).NextBytes(random);

        // Empty and truncated files.
        Add("empty.wav", "empty", "zero bytes named .wav", Outcomes(ErrorCodes.EmptyAudio), p => File.WriteAllBytes(p, []));
        Add("empty.mp3", "empty", "zero bytes named .mp3", Outcomes(ErrorCodes.EmptyAudio), p => File.WriteAllBytes(p, []));
        Add("empty.m4a", "empty", "zero bytes named .m4a", Outcomes(ErrorCodes.EmptyAudio), p => File.WriteAllBytes(p, []));
        Add("cut-12-bytes.wav", "truncated", "WAV cut after 12 bytes (RIFF header only)", Outcomes(ErrorCodes.UnsupportedMedia), p => Cut(speech, p, 12));
        Add("cut-44-bytes.wav", "truncated", "WAV cut after its 44-byte header (no samples)", Outcomes(ErrorCodes.EmptyAudio), p => Cut(speech, p, 44));
        Add("cut-half.wav", "truncated", "WAV cut in the middle of the data", Outcomes(R), p => Cut(speech, p, wav.Length / 2));
        Add("cut-100-bytes.mp3", "truncated", "MP3 cut after 100 bytes", Outcomes(ErrorCodes.UnsupportedMedia), p => Cut(mp3, p, 100));
        Add("cut-half.mp3", "truncated", "MP3 cut in the middle", Outcomes(R), p => Cut(mp3, p, (int)new FileInfo(mp3).Length / 2));
        Add("cut-200-bytes.m4a", "truncated", "M4A cut after 200 bytes (no moov atom)", Outcomes(ErrorCodes.UnsupportedMedia), p => Cut(m4a, p, 200));
        Add("cut-half.m4a", "truncated", "M4A cut in the middle (moov atom lost)", Outcomes(ErrorCodes.UnsupportedMedia), p => Cut(m4a, p, (int)new FileInfo(m4a).Length / 2));

        // Garbage and wrong extensions.
        Add("random.wav", "garbage", "64 KB of random bytes named .wav", Outcomes(ErrorCodes.UnsupportedMedia), p => File.WriteAllBytes(p, random));
        Add("random.mp3", "garbage", "64 KB of random bytes named .mp3", Outcomes(ErrorCodes.UnsupportedMedia), p => File.WriteAllBytes(p, random));
        Add("random.m4a", "garbage", "64 KB of random bytes named .m4a", Outcomes(ErrorCodes.UnsupportedMedia), p => File.WriteAllBytes(p, random));
        Add("mp3-named.wav", "wrong extension", "an MP3 named .wav (content decides)", Outcomes(R), p => File.Copy(mp3, p));
        Add("wav-named.mp3", "wrong extension", "a WAV named .mp3 (content decides)", Outcomes(R), p => File.Copy(speech, p));
        Add("notes.txt", "not media", "a text file", Outcomes(ErrorCodes.UnsupportedMedia), p => File.WriteAllText(p, "Call notes: customer wants a callback.\n"));
        Add("image.png", "not media", "a PNG image", Outcomes(ErrorCodes.UnsupportedMedia),
            p => Tools.Ffmpeg("-f", "lavfi", "-i", "color=c=red:size=32x32", "-frames:v", "1", p));
        Add("document.pdf", "not media", "a PDF document", Outcomes(ErrorCodes.UnsupportedMedia), p => File.WriteAllText(p, MinimalPdf));
        Add("video-no-audio.mp4", "no audio", "an MP4 video without an audio track", Outcomes(ErrorCodes.NoAudioStream),
            p => Tools.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1", "-c:v", "mpeg4", p));

        // Odd but valid audio.
        Add("tenth-second.wav", "odd audio", "0.1 s of a 440 Hz tone", Outcomes(R), p => Tools.Ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=0.1", p));
        Add("silence-1h.flac", "odd audio", "one hour of digital silence (FLAC)", Outcomes(R),
            p => Tools.Ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:n=8192", "-t", "3600", "-c:a", "flac", p));
        Add("white-noise.wav", "odd audio", "3 s of full-scale white noise", Outcomes(R),
            p => Tools.Ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=3:c=white:a=1:seed=7", "-ar", "16000", p));
        Add("clipped.wav", "odd audio", "speech amplified 30 dB into hard clipping", Outcomes(R), p => Tools.Ffmpeg("-i", speech, "-af", "volume=30dB", "-c:a", "pcm_s16le", p));
        Add("dc-offset.wav", "odd audio", "speech on a +0.5 DC offset", Outcomes(R),
            p => Tools.Ffmpeg("-i", speech, "-af", "volume=0.4,aeval=val(0)+0.5", "-c:a", "pcm_s16le", p));
        Add("rate-8k.wav", "odd audio", "8 kHz telephone-rate speech", Outcomes(R), p => Tools.Ffmpeg("-i", speech, "-ar", "8000", p));
        Add("rate-96k-24bit.wav", "odd audio", "96 kHz 24-bit speech", Outcomes(R), p => Tools.Ffmpeg("-i", speech, "-ar", "96000", "-c:a", "pcm_s24le", p));
        Add("channels-8.wav", "odd audio", "8-channel WAV (7.1)", Outcomes(R), p => Tools.Ffmpeg("-i", speech, "-ac", "8", p));
        Add("stream-12h.flac", "too long", "a real 12-hour stream (8 kHz FLAC of silence)", Outcomes(ErrorCodes.TooLong),
            p => Tools.Ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono:n=8192", "-t", "43200", "-c:a", "flac", p));

        // Archives.
        Add("entries-10000.zip", "archive", "a zip with 10,000 tiny entries (limit set to 5,000)", Outcomes(ErrorCodes.ArchiveRejected), ManyEntries);
        Add("bomb.zip", "archive", "zip bomb: 200 MB of zeros in a ~200 KB entry", Outcomes(ErrorCodes.ArchiveRejected), p => Bomb(p, 200L << 20));
        Add("zip-slip.zip", "archive", "entries ../../x.wav and /tmp/abs.wav plus one good entry", Outcomes(ErrorCodes.UnsafeName, ErrorCodes.UnsafeName, R),
            p => Zip(p, ("../../x.wav", wav), ("/tmp/abs.wav", wav), ("good.wav", wav)));
        Add("links.tar", "archive", "tar with a symlink to /etc/passwd, a hard link and one good entry", Outcomes(ErrorCodes.UnsupportedMedia, ErrorCodes.UnsupportedMedia, R),
            p => LinkTar(p, wav));
        Add("nested.zip", "archive", "zip holding another zip and one good entry", Outcomes(ErrorCodes.ArchiveRejected, R),
            p => Zip(p, ("inner.zip", ZipBytes(("a.wav", wav))), ("good.wav", wav)));
        Add("encrypted.zip", "archive", "password-protected zip (zip -P)", Outcomes(ErrorCodes.UnsupportedMedia), p => EncryptedZip(p, speech));
        Add("not-an-archive.zip", "archive", "random bytes named .zip", Outcomes(ErrorCodes.ArchiveRejected), p => File.WriteAllBytes(p, random));
        Add("junk-only.zip", "archive", "zip holding only __MACOSX/ and .DS_Store junk", Outcomes(ErrorCodes.ArchiveRejected),
            p => Zip(p, ("__MACOSX/._a.wav", "resource fork"u8.ToArray()), (".DS_Store", new byte[16])));
        Add("truncated.zip", "archive", "zip of three entries cut at 60 %", Outcomes(R, R, ErrorCodes.ArchiveRejected),
            p => Cut(ZipBytes(("a.wav", wav), ("b.wav", wav), ("c.wav", wav)), p, 0.6));

        // Playlists and stream descriptions that point elsewhere (local file disclosure, SSRF).
        Add("url.m3u8", "playlist", "HLS playlist pointing at http://127.0.0.1:9/", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:9/seg.ts\n#EXT-X-ENDLIST\n"));
        Add("local.m3u8", "playlist", "HLS playlist pointing at /etc/passwd", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, "#EXTM3U\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"));
        Add("list.ffconcat", "playlist", "ffconcat list naming a local file", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, $"ffconcat version 1.0\nfile '{speech}'\n"));
        Add("stream.sdp", "playlist", "SDP description of an RTP stream on 127.0.0.1", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n"));
        Add("playlist-named.wav", "playlist", "an HLS playlist named .wav", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, "#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/a.wav\n"));
        Add("concat-named.mp3", "playlist", "an ffconcat list named .mp3", Outcomes(ErrorCodes.UnsupportedMedia),
            p => File.WriteAllText(p, "ffconcat version 1.0\nfile '/etc/passwd'\n"));

        // Names.
        Add("name with spaces.wav", "names", "spaces in the name", Outcomes(R), p => File.Copy(speech, p));
        Add("ünïcødé-日本語-🎧.wav", "names", "unicode (accents, CJK, emoji)", Outcomes(R), p => File.Copy(speech, p));
        Add(LongName, "names", "a 1,000-character path (nested folders)", Outcomes(R), p => File.Copy(speech, p));
        Add("quote\" -f lavfi -i \"sine.wav", "names", "a name that tries to inject ffmpeg options", Outcomes(R), p => File.Copy(speech, p));
        Add("back\\slash.wav", "names", "a backslash in the name (blob storage stores it as '/': back/slash.wav)", Outcomes(R), p => File.Copy(speech, p));
    }

    /// <summary>long/aaa…/bbb…/ccc…/ddd…/nnn….wav, exactly 1,000 characters (one Linux file name stops at 255 bytes).</summary>
    private static string MakeLongName()
    {
        var segments = new[] { "long", new string('a', 200), new string('b', 200), new string('c', 200), new string('d', 200) };
        var head = string.Join('/', segments) + "/";
        return head + new string('n', 1000 - head.Length - 4) + ".wav";
    }

    private string Scratch(string name) => Path.Combine(_scratch, name);

    private static void Cut(string source, string target, int bytes) => File.WriteAllBytes(target, File.ReadAllBytes(source)[..bytes]);
    private static void Cut(byte[] source, string target, double fraction) => File.WriteAllBytes(target, source[..(int)(source.Length * fraction)]);

    private static void Zip(string path, params (string Name, byte[] Content)[] entries) => File.WriteAllBytes(path, ZipBytes(entries));

    private static byte[] ZipBytes(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static void ManyEntries(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        var content = "x"u8.ToArray();
        for (var i = 0; i < ArchiveEntries; i++)
        {
            using var s = zip.CreateEntry($"many/{i:00000}.wav", CompressionLevel.NoCompression).Open();
            s.Write(content);
        }
    }

    private static void Bomb(string path, long bytes)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var s = zip.CreateEntry("zeros.wav", CompressionLevel.SmallestSize).Open();
        var block = new byte[1 << 20];
        for (long written = 0; written < bytes; written += block.Length) s.Write(block);
    }

    private static void LinkTar(string path, byte[] wav)
    {
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "passwd.wav") { LinkName = "/etc/passwd" });
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "good.wav") { DataStream = new MemoryStream(wav) });
        tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hard.wav") { LinkName = "good.wav" });
    }

    private void EncryptedZip(string path, string wav)
    {
        var staging = Scratch("secret.wav");
        File.Copy(wav, staging, overwrite: true);
        Tools.Run("zip", ["-q", "-j", "-P", "s3cret", path, staging]);
    }

    private static readonly string MinimalPdf = new StringBuilder()
        .Append("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n")
        .Append("3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").ToString();
}
