using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>
/// Creates missing containers, queues and tables at start-up when <c>Pipeline:CreateStorageOnStart</c> is true
/// (Azurite with <c>func start</c>). In Azure infra/main.bicep creates them and the setting stays false.
/// </summary>
internal sealed class StorageInitializer(PipelineStorage storage, IOptions<PipelineOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.CreateStorageOnStart ? storage.EnsureCreatedAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
