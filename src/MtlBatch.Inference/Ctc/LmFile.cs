using System.IO.Compression;
using System.Text;

namespace MtlBatch.Inference.Ctc;

/// <summary>File handling shared by the LM formats.</summary>
internal static class LmFile
{
    /// <summary>Writes to a temporary file first, so a crash never leaves a half-written LM where the decoder looks for one.</summary>
    public static void SaveAtomically(string path, Action<Stream> save)
    {
        var tmp = path + ".tmp";
        using (var file = File.Create(tmp)) save(file);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Gzip'ed little-endian binary: the magic bytes, the int32 format version, then what <paramref name="body"/> writes.</summary>
    public static void WriteCompressed(Stream stream, byte[] magic, int version, Action<BinaryWriter> body)
    {
        using var gzip = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
        using var w = new BinaryWriter(gzip, Encoding.UTF8, leaveOpen: true);
        w.Write(magic);
        w.Write(version);
        body(w);
    }

    public static T Load<T>(string path, Func<Stream, T> load)
    {
        using var file = File.OpenRead(path);
        try
        {
            return load(file);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path} is truncated.", ex);
        }
    }
}
