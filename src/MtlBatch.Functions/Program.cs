using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtlBatch.Functions;
using MtlBatch.Pipeline;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// The Functions app and `mtlbatch worker` share one registration (AddMtlBatchPipeline), so both run the same handlers.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddMtlBatchPipeline(builder.Configuration);
builder.Services.AddHostedService<StorageInitializer>();

// Traces and metrics of the pipeline (PipelineTelemetry: stage durations, queue age, failures by code) and of the Functions
// host, exported to Application Insights when the app has its connection string (infra/main.bicep sets it, with Entra ID
// authentication through the app's managed identity).
var telemetry = builder.Services.AddOpenTelemetry()
    .WithTracing(t => t.AddSource(PipelineTelemetry.Name))
    .WithMetrics(m => m.AddMeter(PipelineTelemetry.Name))
    .UseFunctionsWorkerDefaults();
if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    var clientId = TelemetrySettings.ManagedIdentityClientId(builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    telemetry.UseAzureMonitorExporter(o =>
    {
        o.ConnectionString = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (clientId is not null) o.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    });
}
await builder.Build().RunAsync().ConfigureAwait(false);
