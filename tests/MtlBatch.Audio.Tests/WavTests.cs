using MtlBatch.Core;

namespace MtlBatch.Audio.Tests;

public sealed class WavTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Tone(int count, double frequency = 440, double amplitude = 0.5) =>
        Enumerable.Range(0, count).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / 16000))).ToArray();

    [Theory]
    [InlineData(WavSampleFormat.Pcm16, 1.0 / 32767)]
    [InlineData(WavSampleFormat.Float32, 0.0)]
    public async Task Streamed_blocks_round_trip_through_reader_and_ffmpeg(WavSampleFormat format, double tolerance)
    {
        var tone = Tone(40_000);
        var path = _dir.File($"tone-{format}.wav");
        await using (var writer = WavWriter.Create(path, format: format))
        {
            foreach (var chunk in tone.Chunk(7_000)) await writer.WriteAsync(chunk, CancellationToken.None);
            Assert.Equal(40_000, writer.FramesWritten);
        }

        var all = WavReader.ReadAll(path);
        var blocks = new List<float[]>();
        await foreach (var b in WavReader.ReadBlocksAsync(path, 16_000, CancellationToken.None)) blocks.Add(b);
        var decoded = new List<float>();
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());
        await foreach (var b in decoder.DecodeAsync(path, null, CancellationToken.None)) decoded.AddRange(b);
        var media = await decoder.ProbeAsync(path, CancellationToken.None);

        Assert.Equal((16000, 1), (all.SampleRate, all.Channels));
        Assert.Equal(tone.Length, all.Samples.Length);
        Assert.All(Enumerable.Range(0, tone.Length), i => Assert.Equal(tone[i], all.Samples[i], tolerance + 1e-7));
        Assert.Equal([16_000, 16_000, 8_000], blocks.Select(b => b.Length));
        Assert.Equal(all.Samples, blocks.SelectMany(b => b));
        Assert.Equal(2.5, media.DurationSeconds, 0.001);
        Assert.Equal(format == WavSampleFormat.Pcm16 ? "pcm_s16le" : "pcm_f32le", media.Codec);
        Assert.Equal(all.Samples.Length, decoded.Count); // 16 kHz mono in, no resampling: ffmpeg agrees sample for sample
        Assert.All(Enumerable.Range(0, decoded.Count), i => Assert.Equal(all.Samples[i], decoded[i], 1e-6));
    }

    [Fact]
    public async Task Sixteen_bit_samples_survive_a_float_round_trip_exactly()
    {
        // What the pipeline does to a 16-bit upload: ffmpeg gives floats (k / 32768), the intake stores 16-bit PCM.
        short[] values = [short.MinValue, -12345, -1, 0, 1, 12345, short.MaxValue];
        var samples = values.Select(v => v / 32768f).ToArray();
        var path = _dir.File("exact.wav");
        await WavWriter.WriteAllAsync(path, One(samples), WavSampleFormat.Pcm16, 16000, CancellationToken.None);
        Assert.Equal(samples, WavReader.ReadAll(path).Samples);

        static async IAsyncEnumerable<float[]> One(float[] block)
        {
            yield return block;
            await Task.CompletedTask;
        }
    }

    [Theory]
    [InlineData("pcm_s16le", 1.0 / 32768)]
    [InlineData("pcm_s24le", 1e-6)]
    [InlineData("pcm_s32le", 1e-6)]
    [InlineData("pcm_f32le", 1e-7)]
    [InlineData("pcm_u8", 1.0 / 128)]
    public async Task Reads_ffmpeg_written_wavs_like_ffmpeg_decodes_them(string codec, double tolerance)
    {
        // ffmpeg writes a LIST chunk before data (and WAVE_FORMAT_EXTENSIBLE for >2 channels): the reader must skip it.
        var path = Tools.Sine(_dir, $"{codec}.wav", 1.5, 16000, "-c:a", codec, "-ac", "3");
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());

        var info = WavReader.ReadInfo(path);
        var audio = WavReader.ReadAll(path);
        var channel1 = new List<float>();
        await foreach (var b in decoder.DecodeAsync(path, 1, CancellationToken.None)) channel1.AddRange(b);

        Assert.Equal((16000, 3, 24000L), (info.SampleRate, info.Channels, info.FrameCount));
        Assert.Equal(24000 * 3, audio.Samples.Length);
        Assert.Equal(channel1.Count, (int)info.FrameCount);
        Assert.All(Enumerable.Range(0, channel1.Count), i => Assert.Equal(channel1[i], audio.Samples[i * 3 + 1], tolerance + 1e-6));
    }

    [Fact]
    public async Task Non_seekable_output_gets_open_ended_sizes_that_both_readers_accept()
    {
        var path = _dir.File("piped.wav");
        var tone = Tone(20_000);
        await using (var file = File.Create(path))
        await using (var writer = new WavWriter(new ForwardOnlyStream(file), format: WavSampleFormat.Float32))
        {
            await writer.WriteAsync(tone, CancellationToken.None);
        }

        var audio = WavReader.ReadAll(path);
        var media = await new AudioDecoder(new AudioDecoderOptions(), new InputLimits()).ProbeAsync(path, CancellationToken.None);

        Assert.Equal(tone, audio.Samples);
        Assert.Equal(20_000 / 16000.0, media.DurationSeconds, 0.01);
    }

    [Fact]
    public async Task WriteAllAsync_writes_a_decoded_stream_to_a_file()
    {
        var source = Tools.Sine(_dir, "src.mp3", 2, 44100, "-c:a", "libmp3lame");
        var decoder = new AudioDecoder(new AudioDecoderOptions(), new InputLimits());
        var target = _dir.File("decoded.wav");

        var written = await WavWriter.WriteAllAsync(target, decoder.DecodeAsync(source, null, CancellationToken.None), cancellationToken: CancellationToken.None);

        var audio = WavReader.ReadAll(target);
        Assert.Equal(written, audio.Samples.Length);
        Assert.InRange(written, 32000 - 800, 32000 + 800);
        Assert.Equal(440, Signal.ZeroCrossingFrequency(audio.Samples, 16000), 5.0);
    }

    [Fact]
    public void Rejects_files_that_are_not_wav()
    {
        var path = _dir.File("not.wav");
        File.WriteAllText(path, "hello, this is not a RIFF file");

        Assert.Throws<InvalidDataException>(() => WavReader.ReadAll(path));
    }

    [Fact]
    public async Task Sha256_matches_the_standard_vector_and_streams_files()
    {
        var path = _dir.File("abc.bin");
        File.WriteAllText(path, "abc");

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", await Sha256.OfFileAsync(path, CancellationToken.None));
        Assert.Equal(Sha256.Of("abc"u8), await Sha256.OfStreamAsync(new MemoryStream("abc"u8.ToArray()), CancellationToken.None));
        Assert.Equal(Tools.Run("sha256sum", [path]).Split(' ')[0], await Sha256.OfFileAsync(path, CancellationToken.None));
    }

    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
