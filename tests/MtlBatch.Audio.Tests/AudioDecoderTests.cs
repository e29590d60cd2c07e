using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MtlBatch.Core;

namespace MtlBatch.Audio.Tests;

public sealed class AudioDecoderTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly AudioDecoder _decoder = new(new AudioDecoderOptions { ProbeTimeout = TimeSpan.FromSeconds(20) }, new InputLimits());

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string[], int, int> Formats => new()
    {
        // file name, ffmpeg encode arguments, source rate, source channels
        { "pcm16.wav", ["-c:a", "pcm_s16le"], 16000, 1 },
        { "pcm16-8k.wav", ["-c:a", "pcm_s16le"], 8000, 1 },
        { "pcm16-44k.wav", ["-c:a", "pcm_s16le", "-ac", "2"], 44100, 2 },
        { "pcm24-96k.wav", ["-c:a", "pcm_s24le"], 96000, 1 },
        { "tone.mp3", ["-c:a", "libmp3lame", "-b:a", "96k"], 44100, 1 },
        { "tone.m4a", ["-c:a", "aac", "-b:a", "96k"], 44100, 1 },
        { "tone.flac", ["-c:a", "flac"], 48000, 1 },
        { "tone.ogg", ["-c:a", "libvorbis", "-q:a", "4"], 44100, 1 },
        { "tone.opus", ["-c:a", "libopus", "-b:a", "48k"], 48000, 1 },
        { "tone.webm", ["-c:a", "libopus", "-b:a", "48k"], 48000, 1 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Decodes_every_supported_container_to_16k_mono_with_the_right_duration(string name, string[] encode, int rate, int channels)
    {
        var path = Tools.Sine(_dir, name, 3.0, rate, encode);

        var media = await _decoder.ProbeAsync(path, CancellationToken.None);
        var samples = await DecodeAllAsync(path, null);

        Assert.Equal(3.0, media.DurationSeconds, 0.05);
        // Opus always decodes at 48 kHz whatever the input was, so ffprobe reports 48000 for it.
        Assert.Equal(rate, media.SampleRate);
        Assert.Equal(channels, media.Channels);
        Assert.Equal(3.0 * AudioDecoder.SampleRate, samples.Count, 0.05 * AudioDecoder.SampleRate);
        Assert.Equal(440, Signal.ZeroCrossingFrequency(samples, AudioDecoder.SampleRate), 5.0);
        Assert.InRange(Signal.Rms(samples), 0.3, 0.4); // amplitude 0.5 sine: RMS 0.354
    }

    [Fact]
    public async Task Decodes_an_8_channel_wav_mixed_and_per_channel()
    {
        // Channel k carries a tone at 200 + 100k Hz, so every selected channel is identifiable by its frequency.
        var path = _dir.File("eight.wav");
        var exprs = string.Join('|', Enumerable.Range(0, 8).Select(k => $"0.5*sin(2*PI*{200 + 100 * k}*t)"));
        Tools.Ffmpeg("-f", "lavfi", "-i", $"aevalsrc={exprs}:s=48000:d=2", "-c:a", "pcm_s16le", path);

        var media = await _decoder.ProbeAsync(path, CancellationToken.None);
        Assert.Equal(8, media.Channels);
        Assert.Equal(2.0, media.DurationSeconds, 0.05);

        var mixed = await DecodeAllAsync(path, null);
        Assert.InRange(mixed.Count, 32000 - 800, 32000 + 800);
        Assert.True(Signal.Rms(mixed) > 0.01);

        foreach (var k in new[] { 0, 5, 7 })
        {
            var one = await DecodeAllAsync(path, k);
            Assert.InRange(one.Count, 32000 - 800, 32000 + 800);
            Assert.Equal(200 + 100 * k, Signal.ZeroCrossingFrequency(one, AudioDecoder.SampleRate), 5.0);
        }
    }

    [Fact]
    public async Task Decodes_the_audio_track_of_a_video()
    {
        var path = _dir.File("video.mp4");
        Tools.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3",
            "-af", "volume=4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path);

        var media = await _decoder.ProbeAsync(path, CancellationToken.None);
        var samples = await DecodeAllAsync(path, null);

        Assert.True(media.HasVideo);
        Assert.Equal("aac", media.Codec);
        Assert.Equal(3.0, media.DurationSeconds, 0.05);
        Assert.InRange(samples.Count, 48000 - 800, 48000 + 800);
        Assert.Equal(440, Signal.ZeroCrossingFrequency(samples, AudioDecoder.SampleRate), 5.0);
    }

    [Fact]
    public async Task Channel_split_separates_a_tone_on_the_left_from_silence_on_the_right()
    {
        var path = _dir.File("split.wav");
        Tools.Ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)|0:s=8000:d=2", "-c:a", "pcm_s16le", path);

        var left = await DecodeAllAsync(path, 0);
        var right = await DecodeAllAsync(path, 1);
        var mixed = await DecodeAllAsync(path, null);

        Assert.InRange(Signal.Rms(left), 0.3, 0.4);
        Assert.True(Signal.Rms(right) < 1e-4, $"right channel RMS {Signal.Rms(right)}");
        Assert.InRange(Signal.Rms(mixed), 0.1, Signal.Rms(left) * 0.8); // the mix averages in the silent channel
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => DecodeAllAsync(path, 2));
    }

    [Fact]
    public async Task Video_without_audio_is_no_audio_stream()
    {
        var path = _dir.File("silent-film.mp4");
        Tools.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", path);

        var e = await Assert.ThrowsAsync<MtlBatchException>(() => _decoder.ProbeAsync(path, CancellationToken.None));
        Assert.Equal(ErrorCodes.NoAudioStream, e.Code);
        Assert.Contains("video", e.Message);
    }

    [Fact]
    public async Task Random_bytes_named_wav_are_unsupported_media_with_ffmpegs_reason()
    {
        var path = _dir.File("noise.wav");
        var bytes = new byte[64 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        var e = await Assert.ThrowsAsync<MtlBatchException>(() => _decoder.ProbeAsync(path, CancellationToken.None));
        Assert.Equal(ErrorCodes.UnsupportedMedia, e.Code);
        Assert.Contains("Invalid data", e.Message);
        Assert.DoesNotContain(_dir.Path, e.Message); // server paths are not leaked into error.json
    }

    [Fact]
    public async Task Zero_byte_file_and_header_only_wav_are_empty_audio()
    {
        var zero = _dir.File("zero.wav");
        File.WriteAllBytes(zero, []);
        var headerOnly = _dir.File("header-only.wav");
        await using (WavWriter.Create(headerOnly)) { }

        Assert.Equal(ErrorCodes.EmptyAudio, (await Assert.ThrowsAsync<MtlBatchException>(() => _decoder.ProbeAsync(zero, CancellationToken.None))).Code);
        Assert.Equal(ErrorCodes.EmptyAudio, (await Assert.ThrowsAsync<MtlBatchException>(() => _decoder.ProbeAsync(headerOnly, CancellationToken.None))).Code);
    }

    [Fact]
    public async Task Limits_reject_too_large_and_too_long_inputs()
    {
        var path = Tools.Sine(_dir, "three-seconds.wav", 3, 16000, "-c:a", "pcm_s16le");
        var tight = new AudioDecoder(new AudioDecoderOptions(), new InputLimits { MaxUploadBytes = 50_000 });
        var short2 = new AudioDecoder(new AudioDecoderOptions(), new InputLimits { MaxDurationSeconds = 2 });

        Assert.Equal(ErrorCodes.TooLarge, (await Assert.ThrowsAsync<MtlBatchException>(() => tight.ProbeAsync(path, CancellationToken.None))).Code);
        Assert.Equal(ErrorCodes.TooLong, (await Assert.ThrowsAsync<MtlBatchException>(() => short2.ProbeAsync(path, CancellationToken.None))).Code);
    }

    [Fact]
    public async Task Decoding_enforces_the_duration_limit_even_when_the_header_lies()
    {
        // A probe that claims 1 s for a 3 s file: the decoder still stops at the limit instead of trusting it.
        var path = Tools.Sine(_dir, "liar.wav", 3, 16000, "-c:a", "pcm_s16le");
        var limited = new AudioDecoder(new AudioDecoderOptions(), new InputLimits { MaxDurationSeconds = 1 });
        var real = await _decoder.ProbeAsync(path, CancellationToken.None);
        var lie = real with { DurationSeconds = 1 };

        var e = await Assert.ThrowsAsync<MtlBatchException>(async () =>
        {
            await foreach (var _ in limited.DecodeAsync(lie, null, CancellationToken.None)) { }
        });
        Assert.Equal(ErrorCodes.TooLong, e.Code);
    }

    [Fact]
    public async Task File_names_with_quotes_and_backslashes_cannot_inject_ffmpeg_options()
    {
        // If the name ended the quoted argument, ffmpeg would read a lavfi source instead and the tone would be 1000 Hz.
        var name = "x\" -f lavfi -i \"sine=frequency=1000\\ $(id)`.wav";
        var path = Tools.Sine(_dir, "plain.wav", 2, 16000, "-c:a", "pcm_s16le");
        var tricky = _dir.File(name);
        File.Move(path, tricky);

        var media = await _decoder.ProbeAsync(tricky, CancellationToken.None);
        var samples = await DecodeAllAsync(tricky, null);

        Assert.Equal(2.0, media.DurationSeconds, 0.05);
        Assert.InRange(samples.Count, 32000 - 800, 32000 + 800);
        Assert.Equal(440, Signal.ZeroCrossingFrequency(samples, AudioDecoder.SampleRate), 5.0);
    }

    public static TheoryData<string, string> Playlists => new()
    {
        { "list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{local}\n#EXTINF:10,\n{http}\n#EXT-X-ENDLIST\n" },
        { "list.ffconcat", "ffconcat version 1.0\nfile '{local}'\nfile '{http}'\n" },
        { "concat.txt", "file '{local}'\nfile '{http}'\n" },
        { "stream.sdp", "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio {port} RTP/AVP 0\n" },
    };

    [Theory]
    [MemberData(nameof(Playlists))]
    public async Task Playlists_and_concat_lists_are_rejected_without_ffmpeg_opening_their_targets(string name, string template)
    {
        // The local target is a FIFO: opening it for reading blocks until a writer appears, so if ffprobe/ffmpeg opened
        // it the call would hang until the timeout instead of failing fast with unsupported-media.
        // The URL target is a listening socket: a connection attempt would show up as a pending connection.
        var fifo = Tools.MakeFifo(_dir.File("target.wav"));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var playlist = _dir.File(name);
        File.WriteAllText(playlist, template.Replace("{local}", fifo).Replace("{http}", $"http://127.0.0.1:{port}/x.wav").Replace("{port}", port.ToString()));
        var decoder = new AudioDecoder(new AudioDecoderOptions { ProbeTimeout = TimeSpan.FromSeconds(10), DecodeIdleTimeout = TimeSpan.FromSeconds(10) }, new InputLimits());
        var media = new MediaInfo
        {
            Path = playlist, SizeBytes = new FileInfo(playlist).Length, DurationSeconds = 20, SampleRate = 16000, Channels = 1,
            FormatName = "wav", Codec = "pcm_s16le", AudioStreamCount = 1, HasVideo = false,
        };

        // Layer 1: the public entry points sniff the header and never start ffprobe.
        var probe = await Assert.ThrowsAsync<MtlBatchException>(() => decoder.ProbeAsync(playlist, CancellationToken.None));
        // Layer 2: ffprobe itself, run without the sniff, refuses the demuxer (-format_whitelist) before reading targets.
        var ffprobe = await Assert.ThrowsAsync<MtlBatchException>(() => decoder.RunProbeAsync(playlist, name, CancellationToken.None));
        // Layer 3: ffmpeg run directly on the file (bypassing the probe) refuses it too.
        var ffmpeg = await Assert.ThrowsAsync<MtlBatchException>(async () =>
        {
            await foreach (var _ in decoder.DecodeAsync(media, null, CancellationToken.None)) { }
        });

        Assert.Equal(ErrorCodes.UnsupportedMedia, probe.Code);
        Assert.Equal(ErrorCodes.UnsupportedMedia, ffprobe.Code);
        Assert.Equal(ErrorCodes.DecodeFailed, ffmpeg.Code);
        Assert.False(listener.Pending(), "ffmpeg connected to the URL named in the playlist");
    }

    [Fact]
    public async Task A_probe_that_hangs_times_out_and_ffprobe_is_killed()
    {
        // ffprobe blocks opening a FIFO that nobody writes to (the public ProbeAsync never opens 0-byte files; the
        // internal probe is called directly to get a hanging ffprobe).
        var fifo = Tools.MakeFifo(_dir.File("hang.wav"));
        var decoder = new AudioDecoder(new AudioDecoderOptions { ProbeTimeout = TimeSpan.FromSeconds(1) }, new InputLimits());

        var e = await Assert.ThrowsAsync<MtlBatchException>(() => decoder.RunProbeAsync(fifo, "hang.wav", CancellationToken.None));

        Assert.Equal(ErrorCodes.Timeout, e.Code);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcessesMentioning(fifo).Any() && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Empty(ProcessesMentioning(fifo));
    }

    [Fact]
    public async Task Breaking_out_of_the_decode_loop_kills_ffmpeg()
    {
        var path = Tools.Sine(_dir, "stop-early.flac", 120, 16000, "-c:a", "flac");
        var decoder = new AudioDecoder(new AudioDecoderOptions { BlockSamples = 1600 }, new InputLimits());

        await foreach (var block in decoder.DecodeAsync(path, null, CancellationToken.None))
        {
            Assert.True(ProcessesMentioning(path).Any(), "ffmpeg should be running while blocks are consumed");
            break;
        }

        Assert.Empty(ProcessesMentioning(path)); // killed and reaped by the time the loop has exited
    }

    private static IEnumerable<int> ProcessesMentioning(string text) =>
        Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit)).Where(pid =>
        {
            try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(text, StringComparison.Ordinal); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }).Select(int.Parse);

    [Fact]
    public void Decode_arguments_pin_protocols_formats_and_stdin()
    {
        var arguments = _decoder.BuildDecodeArguments("/in/a.wav", 1);

        Assert.Contains("-nostdin", arguments);
        Assert.Contains("-protocol_whitelist file ", arguments);
        Assert.Contains("-format_whitelist wav,", arguments);
        Assert.True(arguments.IndexOf("-protocol_whitelist", StringComparison.Ordinal) < arguments.IndexOf("-i ", StringComparison.Ordinal),
            "whitelists must be input options (before -i)");
        Assert.Contains("pan=mono|c0=c1", arguments);
        Assert.Contains("pipe:1", arguments);
    }

    private async Task<List<float>> DecodeAllAsync(string path, int? channel)
    {
        var all = new List<float>();
        await foreach (var block in _decoder.DecodeAsync(path, channel, CancellationToken.None))
        {
            Assert.InRange(block.Length, 1, AudioDecoder.SampleRate);
            all.AddRange(block);
        }
        Assert.All(all, v => Assert.True(float.IsFinite(v)));
        return all;
    }
}
