using System.Net;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>
/// POST /api/reprocess {"prefix": "...", "since": "2026-01-01T00:00:00Z", "force": false}: runs one throttled pass now
/// and answers 200 with the report when the scope is done, 202 when the timer will continue it.
/// </summary>
public sealed class Reprocess(ReprocessScheduler scheduler)
{
    [Function(nameof(Reprocess))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "reprocess")] HttpRequestData request, CancellationToken cancellationToken)
    {
        ReprocessRequest? body;
        try
        {
            body = request.Body.CanSeek && request.Body.Length == 0
                ? new ReprocessRequest()
                : await JsonSerializer.DeserializeAsync<ReprocessRequest>(request.Body, MtlJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return await HttpJson.ProblemAsync(request, HttpStatusCode.BadRequest, "Body must be JSON {prefix, since, force}: " + ex.Message, cancellationToken).ConfigureAwait(false);
        }
        var report = await scheduler.RunAsync(body ?? new ReprocessRequest(), oneShot: true, cancellationToken).ConfigureAwait(false);
        return await HttpJson.RespondAsync(request, report.Completed ? HttpStatusCode.OK : HttpStatusCode.Accepted, report, cancellationToken).ConfigureAwait(false);
    }
}
