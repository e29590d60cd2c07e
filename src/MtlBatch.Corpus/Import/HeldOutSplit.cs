using System.Security.Cryptography;
using System.Text;

namespace MtlBatch.Corpus.Import;

/// <summary>
/// The fixed real held-out split: a stable hash of (source, group key) — a WUW session, a speaker — puts every
/// group in one bucket of 100. Buckets 0-11 are test (12 %: never trained on, never tuned on), 12-17 valid (the
/// development split: early stopping and decoder tuning), the rest train. Changing these numbers changes the
/// published held-out set: don't.
/// </summary>
public static class HeldOutSplit
{
    public const int TestBuckets = 12;
    public const int ValidBuckets = 6;

    public static int Bucket(string source, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n" + key));
        return (int)(BitConverter.ToUInt32(hash, 0) % 100);
    }

    public static string SplitOf(string source, string key)
    {
        var bucket = Bucket(source, key);
        return bucket < TestBuckets ? "test" : bucket < TestBuckets + ValidBuckets ? "valid" : "train";
    }
}
