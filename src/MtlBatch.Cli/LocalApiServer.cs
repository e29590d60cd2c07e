using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli;

/// <summary>
/// The Functions app's HTTP API served by <c>mtlbatch worker</c> on 127.0.0.1 only (no function key: nothing outside the
/// machine can reach it): <c>GET /api/jobs/{id}</c>, <c>GET /api/jobs?recording=</c>, <c>POST /api/reprocess</c>. The routes
/// only move requests into <see cref="PipelineApi"/> and its answers out, as the function classes do.
/// </summary>
internal sealed class LocalApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalApiServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The listening address, e.g. http://127.0.0.1:7071 (port 0 asks the system for a free one).</summary>
    public Uri Address { get; }

    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<LocalApiServer> StartAsync(PipelineApi api, int port, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(logger);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "mtlbatch", ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();

        app.MapGet("/api/jobs/{id?}", async context =>
        {
            var answer = await api.GetJobAsync(context.Request.RouteValues["id"] as string, context.Request.Query["recording"].FirstOrDefault(), context.RequestAborted)
                .ConfigureAwait(false);
            await RespondAsync(context, answer, logger).ConfigureAwait(false);
        });
        app.MapPost("/api/reprocess", async context =>
        {
            var answer = await api.ReprocessAsync(context.Request.Body, context.RequestAborted).ConfigureAwait(false);
            await RespondAsync(context, answer, logger).ConfigureAwait(false);
        });

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                      ?? $"http://127.0.0.1:{port}";
        logger.LogInformation("HTTP API on {Address}: GET /api/jobs/{{id}}, GET /api/jobs?recording=, POST /api/reprocess", address);
        return new LocalApiServer(app, new Uri(address));
    }

    private static async Task RespondAsync(HttpContext context, ApiResponse answer, ILogger logger)
    {
        context.Response.StatusCode = (int)answer.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(MtlJson.Serialize(answer.Body), context.RequestAborted).ConfigureAwait(false);
        logger.LogInformation("HTTP {Method} {Path} -> {Status}", context.Request.Method, context.Request.Path.Value, (int)answer.Status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
