using MtlBatch.Pipeline;

namespace MtlBatch.Reliability.Tests;

/// <summary>
/// The pipeline's containers, queues and tables on the shared Azurite under a unique name prefix, plus a work folder,
/// for tests that drive the real <c>mtlbatch worker</c> process; deleted again on dispose.
/// </summary>
internal sealed class IsolatedStorage : IAsyncDisposable
{
    private IsolatedStorage(string prefix, PipelineStorage storage, string work) => (Prefix, Storage, Work) = (prefix, storage, work);

    public string Prefix { get; }
    public PipelineStorage Storage { get; }
    public string Work { get; }

    public static async Task<IsolatedStorage> CreateAsync(string letter, string workName)
    {
        Azurite.EnsureRunning();
        var prefix = letter + Guid.NewGuid().ToString("N")[..12];
        var storage = PipelineStorage.Create(new StorageOptions { ConnectionString = Azurite.ConnectionString, NamePrefix = prefix });
        await storage.EnsureCreatedAsync(CancellationToken.None);
        return new IsolatedStorage(prefix, storage, RepoPaths.NewTempFolder(workName));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in new[] { Storage.Recordings, Storage.Results, Storage.Decoded }) await c.DeleteIfExistsAsync();
        foreach (var q in Storage.Queues) await q.DeleteIfExistsAsync();
        foreach (var t in new[] { Storage.Jobs, Storage.State }) await t.DeleteAsync();
        Directory.Delete(Work, recursive: true);
    }
}
