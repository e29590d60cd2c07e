using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtlBatch.Functions;
using MtlBatch.Pipeline;

// The Functions app and `mtlbatch worker` share one registration (AddMtlBatchPipeline), so both run the same handlers.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddMtlBatchPipeline(builder.Configuration);
builder.Services.AddHostedService<StorageInitializer>();
await builder.Build().RunAsync().ConfigureAwait(false);
