using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using MtlBatch.Core;

namespace MtlBatch.Audio.Tests;

public sealed class ArchiveTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly string _extractRoot;

    public ArchiveTests()
    {
        _extractRoot = Path.Combine(_dir.Path, "extract");
        Directory.CreateDirectory(_extractRoot);
    }

    public void Dispose() => _dir.Dispose();

    private ArchiveExpander Expander(InputLimits? limits = null) =>
        new(new ArchiveExpanderOptions { TempFolder = _extractRoot }, limits ?? new InputLimits());

    /// <summary>A real 0.5 s 16 kHz tone WAV; <paramref name="frequency"/> makes each file's bytes distinct.</summary>
    private static byte[] WavBytes(double frequency)
    {
        var samples = Enumerable.Range(0, 8000).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * frequency * i / 16000))).ToArray();
        var ms = new MemoryStream();
        using (var w = new WavWriter(ms, leaveOpen: true)) w.Write(samples);
        return ms.ToArray();
    }

    private static readonly (string Name, byte[]? Data)[] TreeEntries =
    [
        ("sub/", null),
        ("a.wav", WavBytes(300)),
        ("sub/b.wav", WavBytes(400)),
        ("sub/deeper/c.wav", WavBytes(500)),
        ("notes.txt", "not audio"u8.ToArray()),
        (".hidden.wav", WavBytes(600)),
        ("__MACOSX/sub/._b.wav", "resource fork"u8.ToArray()),
    ];

    private static readonly string[] ExpectedTree = ["a.wav", "sub/b.wav", "sub/deeper/c.wav", "notes.txt"];

    private string MakeArchive(string name, IEnumerable<(string Name, byte[]? Data)> entries)
    {
        var path = _dir.File(name);
        using var file = File.Create(path);
        if (name.EndsWith(".zip"))
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create);
            foreach (var (entryName, data) in entries)
            {
                var entry = zip.CreateEntry(entryName);
                if (data is not null) using (var s = entry.Open()) s.Write(data);
            }
            return path;
        }
        Stream target = name.EndsWith(".tar") ? file : new GZipStream(file, CompressionLevel.Fastest);
        using (var tar = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: false))
        {
            foreach (var (entryName, data) in entries)
            {
                var entry = new PaxTarEntry(data is null ? TarEntryType.Directory : TarEntryType.RegularFile, entryName);
                if (data is not null) entry.DataStream = new MemoryStream(data);
                tar.WriteEntry(entry);
            }
        }
        return path;
    }

    [Fact]
    public async Task An_archive_with_nothing_to_analyse_is_one_archive_rejected_item_not_silence()
    {
        var path = Path.Combine(_dir.Path, "junk.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntry("folder/");
            using (var s = zip.CreateEntry("__MACOSX/._a.wav").Open()) s.Write("resource fork"u8);
            using (var s = zip.CreateEntry(".DS_Store").Open()) s.Write(new byte[16]);
        }

        var items = await AllAsync(Expander().ExpandAsync(path, CancellationToken.None));

        var only = Assert.Single(items);
        Assert.Equal(("junk.zip", ErrorCodes.ArchiveRejected), (only.RelativeName, only.Error?.Code));
        Assert.Contains("no files to analyse", only.Error!.Message, StringComparison.Ordinal);
    }

    private static async Task<List<AudioInput>> AllAsync(IAsyncEnumerable<AudioInput> items)
    {
        var list = new List<AudioInput>();
        await foreach (var i in items) list.Add(i);
        return list;
    }

    [Theory]
    [InlineData("batch1.zip")]
    [InlineData("batch1.tar")]
    [InlineData("batch1.tar.gz")]
    [InlineData("batch1.tgz")]
    public async Task Archives_mirror_entry_paths_under_the_archive_name(string name)
    {
        var path = MakeArchive(name, TreeEntries);

        var items = await AllAsync(Expander().ExpandAsync(path, CancellationToken.None));

        Assert.Equal(ExpectedTree.Select(e => "batch1/" + e), items.Select(i => i.RelativeName));
        Assert.All(items, i => Assert.False(i.IsError, i.ToString()));
        foreach (var item in items)
        {
            var original = TreeEntries.Single(e => "batch1/" + e.Name == item.RelativeName).Data!;
            Assert.StartsWith(_extractRoot + Path.DirectorySeparatorChar, item.LocalPath);
            Assert.Equal(original, await File.ReadAllBytesAsync(item.LocalPath!));
            Assert.Equal($"{name}!{item.RelativeName["batch1/".Length..]}", item.SourceDescription);
        }

        // A real decode of an extracted entry, as the CLI and the pipeline will do.
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());
        var media = await decoder.ProbeAsync(items[1].LocalPath!, CancellationToken.None);
        Assert.Equal(0.5, media.DurationSeconds, 0.01);

        foreach (var item in items) item.Dispose();
        Assert.All(items, i => Assert.False(File.Exists(i.LocalPath)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_extractRoot)); // nothing is left behind
    }

    [Fact]
    public async Task Stream_overload_reads_forward_only_and_prefixes_the_blob_path()
    {
        var path = MakeArchive("batch1.tgz", TreeEntries);
        await using var stream = new ForwardOnlyReadStream(File.OpenRead(path));

        // Each item is disposed as soon as it arrives (as a pipeline does): the next entry must still extract.
        var names = new List<string>();
        await foreach (var item in Expander().ExpandAsync(stream, "uploads/2024/batch1.tgz", CancellationToken.None))
        {
            Assert.False(item.IsError, item.ToString());
            Assert.True(File.Exists(item.LocalPath));
            names.Add(item.RelativeName);
            item.Dispose();
            Assert.False(File.Exists(item.LocalPath));
        }

        Assert.Equal(ExpectedTree.Select(e => "uploads/2024/batch1/" + e), names);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_extractRoot));
    }

    [Fact]
    public async Task Zip_slip_and_absolute_names_are_rejected_and_never_written_outside_the_temp_folder()
    {
        var path = MakeArchive("slip.zip",
        [
            ("../../escaped.wav", WavBytes(300)),
            ("/etc/absolute.wav", WavBytes(300)),
            ("C:\\windows\\drive.wav", WavBytes(300)),
            ("sub/../../up.wav", WavBytes(300)),
            ("ok/./fine.wav", WavBytes(300)),
            ("win\\style\\back.wav", WavBytes(300)),
        ]);

        var items = await AllAsync(Expander().ExpandAsync(path, CancellationToken.None));

        Assert.Equal(6, items.Count);
        Assert.All(items.Take(4), i => Assert.Equal(ErrorCodes.UnsafeName, i.Error?.Code));
        Assert.All(items.Take(4), i => Assert.DoesNotContain("..", i.RelativeName.Split('/')));
        Assert.All(items.Take(4), i => Assert.StartsWith("slip/", i.RelativeName));
        Assert.Equal(["slip/ok/fine.wav", "slip/win/style/back.wav"], items.Skip(4).Select(i => i.RelativeName));
        Assert.All(items.Skip(4), i => Assert.StartsWith(_extractRoot, i.LocalPath));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "escaped.wav")));
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine(_extractRoot, "../../escaped.wav"))));
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task Tar_links_are_skipped_with_a_record_and_the_rest_is_extracted()
    {
        var path = _dir.File("links.tar");
        await using (var file = File.Create(path))
        await using (var tar = new TarWriter(file, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "a.wav") { DataStream = new MemoryStream(WavBytes(300)) });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "passwd.wav") { LinkName = "/etc/passwd" });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.HardLink, "hard.wav") { LinkName = "a.wav" });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "z.wav") { DataStream = new MemoryStream(WavBytes(400)) });
        }

        var items = await AllAsync(Expander().ExpandAsync(path, CancellationToken.None));

        Assert.Equal(["links/a.wav", "links/passwd.wav", "links/hard.wav", "links/z.wav"], items.Select(i => i.RelativeName));
        Assert.Equal([null, ErrorCodes.UnsupportedMedia, ErrorCodes.UnsupportedMedia, null], items.Select(i => i.Error?.Code));
        Assert.Contains("link", items[1].Error!.Message);
        Assert.Equal(WavBytes(400), await File.ReadAllBytesAsync(items[3].LocalPath!));
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task A_one_gigabyte_zip_bomb_is_stopped_by_the_ratio_limit()
    {
        // 1 GiB of zeros streamed into a deflate entry (never held in memory); compresses ~1000:1 to about 1 MB.
        var path = _dir.File("bomb.zip");
        await using (var file = File.Create(path))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            await using (var s = zip.CreateEntry("first.wav", CompressionLevel.Optimal).Open()) await s.WriteAsync(WavBytes(300));
            await using (var s = zip.CreateEntry("zeros.wav", CompressionLevel.Optimal).Open())
            {
                var zeros = new byte[1 << 20];
                for (var i = 0; i < 1024; i++) await s.WriteAsync(zeros);
            }
            await using (var s = zip.CreateEntry("after.wav", CompressionLevel.Optimal).Open()) await s.WriteAsync(WavBytes(400));
        }
        var compressed = new FileInfo(path).Length;
        Assert.True(compressed < 5 << 20, $"bomb is {compressed} bytes");

        var items = await AllAsync(Expander(new InputLimits { MaxCompressionRatio = 200 }).ExpandAsync(path, CancellationToken.None));

        Assert.Equal(["bomb/first.wav", "bomb/zeros.wav"], items.Select(i => i.RelativeName)); // stopped: after.wav never extracted
        Assert.False(items[0].IsError);
        Assert.Equal(ErrorCodes.ArchiveRejected, items[1].Error?.Code);
        var written = long.Parse(Regex.Match(items[1].Error!.Message, @"stopped after ([\d,]+) bytes").Groups[1].Value.Replace(",", ""));
        Assert.True(written < 64L << 20, $"{written} bytes were written before the bomb was stopped");
        items[0].Dispose();
        Assert.Empty(Directory.EnumerateFileSystemEntries(_extractRoot)); // the partial bomb file was deleted
    }

    [Fact]
    public async Task A_tar_gz_bomb_hidden_in_a_skipped_entry_still_stops_the_archive()
    {
        // Skipped entries (here OS junk) are read through under the same limits: leaving the skip to SharpCompress
        // would silently decompress the whole gigabyte.
        var path = _dir.File("sneaky.tar.gz");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "__MACOSX/zeros.wav") { DataStream = new ZeroStream(1L << 30) });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "a.wav") { DataStream = new MemoryStream(WavBytes(300)) });
        }

        var items = await AllAsync(Expander(new InputLimits { MaxCompressionRatio = 200 }).ExpandAsync(path, CancellationToken.None));

        var stopped = Assert.Single(items);
        Assert.Equal(("sneaky/__MACOSX/zeros.wav", ErrorCodes.ArchiveRejected), (stopped.RelativeName, stopped.Error?.Code));
        Assert.Contains("decompression-bomb", stopped.Error!.Message);
    }

    [Fact]
    public async Task Total_expanded_size_cap_is_never_exceeded_on_disk()
    {
        var random = new Random(3);
        byte[] Noise() { var b = new byte[400_000]; random.NextBytes(b); return b; }
        var path = MakeArchive("big.tar", [("1.wav", Noise()), ("2.wav", Noise()), ("3.wav", Noise()), ("4.wav", Noise())]);

        var items = await AllAsync(Expander(new InputLimits { MaxArchiveExpandedBytes = 1_000_000 }).ExpandAsync(path, CancellationToken.None));

        Assert.Equal(["big/1.wav", "big/2.wav", "big/3.wav"], items.Select(i => i.RelativeName));
        Assert.Equal([null, null, ErrorCodes.ArchiveRejected], items.Select(i => i.Error?.Code));
        var onDisk = Directory.EnumerateFiles(_extractRoot, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.Equal(800_000, onDisk);
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task Entries_over_the_size_limit_fail_alone()
    {
        var path = MakeArchive("sizes.zip", [("small.wav", WavBytes(300)), ("large.wav", new byte[200_000]), ("small2.wav", WavBytes(400))]);

        var items = await AllAsync(Expander(new InputLimits { MaxUploadBytes = 100_000, MaxCompressionRatio = 1e9 }).ExpandAsync(path, CancellationToken.None));

        Assert.Equal([null, ErrorCodes.TooLarge, null], items.Select(i => i.Error?.Code));
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task Too_many_entries_reject_the_archive()
    {
        var path = MakeArchive("many.zip", Enumerable.Range(0, 8).Select(i => ($"{i}.wav", (byte[]?)WavBytes(300 + i))));
        var limits = new InputLimits { MaxArchiveEntries = 5 };

        // Seekable: the central directory is read first and nothing is extracted.
        var seekable = await AllAsync(Expander(limits).ExpandAsync(path, CancellationToken.None));
        // Forward-only (e.g. a blob download stream): stops when the sixth entry shows up.
        await using var stream = new ForwardOnlyReadStream(File.OpenRead(path));
        var streamed = await AllAsync(Expander(limits).ExpandAsync(stream, "many.zip", CancellationToken.None));

        var rejected = Assert.Single(seekable);
        Assert.Equal(("many.zip", ErrorCodes.ArchiveRejected), (rejected.RelativeName, rejected.Error?.Code));
        Assert.Equal(6, streamed.Count);
        Assert.All(streamed.Take(5), i => Assert.False(i.IsError));
        Assert.Equal(ErrorCodes.ArchiveRejected, streamed[5].Error?.Code);
        foreach (var i in streamed) i.Dispose();
    }

    [Fact]
    public async Task Encrypted_zip_entries_end_as_error_records()
    {
        var src = Path.Combine(_dir.Path, "src");
        Directory.CreateDirectory(src);
        await File.WriteAllBytesAsync(Path.Combine(src, "plain1.wav"), WavBytes(300));
        await File.WriteAllBytesAsync(Path.Combine(src, "secret.wav"), WavBytes(400));
        await File.WriteAllBytesAsync(Path.Combine(src, "plain2.wav"), WavBytes(500));
        var path = _dir.File("mixed.zip");
        Tools.Run("zip", ["-q", path, "plain1.wav"], src);
        Tools.Run("zip", ["-q", "-P", "hunter2", path, "secret.wav"], src);
        Tools.Run("zip", ["-q", path, "plain2.wav"], src);

        var items = await AllAsync(Expander().ExpandAsync(path, CancellationToken.None));

        Assert.Equal(["mixed/plain1.wav", "mixed/secret.wav", "mixed/plain2.wav"], items.Select(i => i.RelativeName));
        Assert.Equal([null, ErrorCodes.UnsupportedMedia, null], items.Select(i => i.Error?.Code));
        Assert.Contains("encrypted", items[1].Error!.Message);
        Assert.Equal(WavBytes(500), await File.ReadAllBytesAsync(items[2].LocalPath!));
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task Nested_archives_are_not_expanded_and_garbage_is_not_an_archive()
    {
        var inner = File.ReadAllBytes(MakeArchive("inner.zip", [("x.wav", WavBytes(300))]));
        var outer = MakeArchive("outer.tar", [("inner.zip", inner), ("y.wav", WavBytes(400))]);
        var garbage = _dir.File("garbage.zip");
        await File.WriteAllTextAsync(garbage, "this is not a zip file at all, just text long enough to be sniffed");

        var items = await AllAsync(Expander().ExpandAsync(outer, CancellationToken.None));
        var bad = await AllAsync(Expander().ExpandAsync(garbage, CancellationToken.None));

        Assert.Equal([("outer/inner.zip", ErrorCodes.ArchiveRejected), ("outer/y.wav", (string?)null)], items.Select(i => (i.RelativeName, i.Error?.Code)));
        Assert.Equal(("garbage.zip", ErrorCodes.ArchiveRejected), (Assert.Single(bad).RelativeName, bad[0].Error?.Code));
        foreach (var i in items) i.Dispose();
    }

    [Fact]
    public async Task AudioInputs_walks_folders_files_and_archives()
    {
        var root = Path.Combine(_dir.Path, "calls");
        Directory.CreateDirectory(Path.Combine(root, "2024", ".git"));
        Directory.CreateDirectory(Path.Combine(root, "__MACOSX"));
        await File.WriteAllBytesAsync(Path.Combine(root, "2024", "a.wav"), WavBytes(300));
        await File.WriteAllBytesAsync(Path.Combine(root, "2024", ".DS_Store"), [1, 2, 3]);
        await File.WriteAllBytesAsync(Path.Combine(root, "2024", ".git", "x.wav"), WavBytes(300));
        await File.WriteAllBytesAsync(Path.Combine(root, "__MACOSX", "y.wav"), WavBytes(300));
        await File.WriteAllTextAsync(Path.Combine(root, "readme.txt"), "hello");
        await File.WriteAllBytesAsync(Path.Combine(root, "b.wav"), WavBytes(400));
        File.Move(MakeArchive("batch1.zip", [("c.wav", WavBytes(500)), ("d/e.wav", WavBytes(600))]), Path.Combine(root, "2024", "batch1.zip"));
        Directory.CreateDirectory(Path.Combine(root, "2024", "batch1"));
        await File.WriteAllBytesAsync(Path.Combine(root, "2024", "batch1", "c.wav"), WavBytes(700)); // collides with the archive entry
        Directory.CreateSymbolicLink(Path.Combine(root, "loop"), root);
        var inputs = new AudioInputs(Expander());

        var folder = await AllAsync(inputs.EnumerateAsync(root, CancellationToken.None));
        var single = await AllAsync(inputs.EnumerateAsync(Path.Combine(root, "b.wav"), CancellationToken.None));

        Assert.Equal(["b.wav", "readme.txt", "2024/a.wav", "2024/batch1/c.wav", "2024/batch1/d/e.wav", "2024/batch1/c.wav~2"],
            folder.Select(i => i.RelativeName));
        Assert.Equal(ErrorCodes.UnsafeName, folder[5].Error?.Code);
        Assert.Equal(Path.Combine(root, "b.wav"), folder[0].LocalPath);
        Assert.Equal("b.wav", Assert.Single(single).RelativeName);
        await Assert.ThrowsAsync<FileNotFoundException>(() => AllAsync(inputs.EnumerateAsync(Path.Combine(root, "missing"), CancellationToken.None)));

        foreach (var i in folder) i.Dispose();
        Assert.True(File.Exists(Path.Combine(root, "b.wav")), "disposing a plain input must not delete the user's file");
    }

    [Fact]
    public void Entry_name_rules()
    {
        Assert.Equal("a/b.wav", InputNames.NormalizeEntryName("./a//b.wav", 100));
        Assert.Equal("a/b.wav", InputNames.NormalizeEntryName("a\\b.wav", 100));
        Assert.Null(InputNames.NormalizeEntryName("a/../b.wav", 100));
        Assert.Null(InputNames.NormalizeEntryName("\\\\server\\share\\x.wav", 100));
        Assert.Null(InputNames.NormalizeEntryName("d:x.wav", 100));
        Assert.Null(InputNames.NormalizeEntryName("a\u0000b.wav", 100));
        Assert.Null(InputNames.NormalizeEntryName(new string('a', 101), 100));
        Assert.Equal("__/__/x.wav", InputNames.Defang("../../x.wav"));
        Assert.Equal("uploads/batch1", InputNames.StripArchiveExtension("uploads/batch1.TAR.GZ"));
        Assert.False(InputNames.IsArchiveName("song.gz"));
    }

    /// <summary>A seekable stream of <paramref name="length"/> zero bytes that occupies no memory.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class ForwardOnlyReadStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
