using System.Text;

namespace MtlBatch.Inference;

/// <summary>
/// Reads an ONNX file's <c>metadata_props</c> (field 14 of the <c>ModelProto</c> protobuf: repeated
/// <c>StringStringEntryProto {1: key, 2: value}</c>) without creating an inference session: the top-level fields are
/// walked and everything else — the graph with its weights above all — is skipped by seeking past it. Used where only
/// the model's version is needed (pipeline intake, <c>mtlbatch submit</c>), so those never load the model.
/// </summary>
internal static class OnnxMetadataReader
{
    private const int MetadataPropsField = 14;
    private const int MaxEntryBytes = 16 << 20;

    /// <summary>The model's metadata as key -> value (later duplicates win, as in ONNX Runtime's map).</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed protobuf message.</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        var reader = new Reader(stream);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.TryReadVarintAsync(cancellationToken).ConfigureAwait(false) is { } tag)
        {
            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            if (field == MetadataPropsField && wireType == 2)
            {
                var length = await reader.ReadLengthAsync(MaxEntryBytes, cancellationToken).ConfigureAwait(false);
                var entry = await reader.ReadBytesAsync(length, cancellationToken).ConfigureAwait(false);
                var (key, value) = ParseEntry(entry, path);
                if (key is not null) metadata[key] = value ?? "";
                continue;
            }
            await reader.SkipAsync(wireType, path, cancellationToken).ConfigureAwait(false);
        }
        return metadata;
    }

    private static (string? Key, string? Value) ParseEntry(byte[] entry, string path)
    {
        string? key = null, value = null;
        var i = 0;
        while (i < entry.Length)
        {
            var tag = ReadVarint(entry, ref i, path);
            var wireType = (int)(tag & 7);
            if (wireType != 2)
            {
                SkipInMemory(entry, ref i, wireType, path);
                continue;
            }
            var length = (int)ReadVarint(entry, ref i, path);
            if (length < 0 || i + length > entry.Length) throw Malformed(path);
            var text = Encoding.UTF8.GetString(entry, i, length);
            i += length;
            if ((tag >> 3) == 1) key = text;
            else if ((tag >> 3) == 2) value = text;
        }
        return (key, value);
    }

    private static ulong ReadVarint(byte[] data, ref int i, string path)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length) throw Malformed(path);
            var b = data[i++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Malformed(path);
    }

    private static void SkipInMemory(byte[] data, ref int i, int wireType, string path)
    {
        switch (wireType)
        {
            case 0: ReadVarint(data, ref i, path); break;
            case 1: i += 8; break;
            case 5: i += 4; break;
            default: throw Malformed(path);
        }
        if (i > data.Length) throw Malformed(path);
    }

    private static InvalidDataException Malformed(string path) =>
        new($"'{path}' is not an ONNX model: its protobuf structure is broken.");

    /// <summary>A forward reader over the file with a small buffer; long fields are skipped by seeking.</summary>
    private sealed class Reader(FileStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _position;
        private int _count;

        private string Path => stream.Name;

        public async ValueTask<ulong?> TryReadVarintAsync(CancellationToken cancellationToken)
        {
            if (_position == _count && !await FillAsync(cancellationToken).ConfigureAwait(false)) return null;
            return await ReadVarintAsync(cancellationToken).ConfigureAwait(false);
        }

        private async ValueTask<ulong> ReadVarintAsync(CancellationToken cancellationToken)
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position == _count && !await FillAsync(cancellationToken).ConfigureAwait(false)) throw Malformed(Path);
                var b = _buffer[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw Malformed(Path);
        }

        public async ValueTask<long> ReadLengthAsync(long max, CancellationToken cancellationToken)
        {
            var length = await ReadVarintAsync(cancellationToken).ConfigureAwait(false);
            if (length > (ulong)max) throw Malformed(Path);
            return (long)length;
        }

        public async ValueTask<byte[]> ReadBytesAsync(long length, CancellationToken cancellationToken)
        {
            var result = new byte[length];
            var filled = 0;
            while (filled < length)
            {
                if (_position == _count && !await FillAsync(cancellationToken).ConfigureAwait(false)) throw Malformed(Path);
                var n = (int)Math.Min(length - filled, _count - _position);
                Buffer.BlockCopy(_buffer, _position, result, filled, n);
                _position += n;
                filled += n;
            }
            return result;
        }

        public async ValueTask SkipAsync(int wireType, string path, CancellationToken cancellationToken)
        {
            switch (wireType)
            {
                case 0: await ReadVarintAsync(cancellationToken).ConfigureAwait(false); break;
                case 1: Skip(8, path); break;
                case 5: Skip(4, path); break;
                case 2: Skip(await ReadLengthAsync(long.MaxValue, cancellationToken).ConfigureAwait(false), path); break;
                default: throw Malformed(path);
            }
        }

        private void Skip(long bytes, string path)
        {
            var buffered = _count - _position;
            if (bytes <= buffered)
            {
                _position += (int)bytes;
                return;
            }
            var target = stream.Position + (bytes - buffered);
            if (target > stream.Length) throw Malformed(path);
            stream.Position = target;
            _position = _count = 0;
        }

        private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
        {
            _count = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            _position = 0;
            return _count > 0;
        }
    }
}
