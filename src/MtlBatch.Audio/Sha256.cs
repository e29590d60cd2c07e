using System.Security.Cryptography;

namespace MtlBatch.Audio;

/// <summary>Lower-case hex SHA-256 of recordings (the <c>recording.sha256</c> field of results).</summary>
public static class Sha256
{
    /// <summary>Hashes a file by streaming it (memory stays flat).</summary>
    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await OfStreamAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hashes <paramref name="stream"/> from its current position to the end.</summary>
    public static async Task<string> OfStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Hashes bytes in memory.</summary>
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
