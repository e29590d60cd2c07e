using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>
/// POST /api/reprocess {"prefix": "...", "since": "2026-01-01T00:00:00Z", "force": false}: runs one throttled pass now
/// and answers 200 with the report when the scope is done, 202 when the timer will continue it.
/// </summary>
public sealed class Reprocess(PipelineApi api)
{
    [Function(nameof(Reprocess))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "reprocess")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var answer = await api.ReprocessAsync(request.Body, cancellationToken).ConfigureAwait(false);
        return await HttpJson.RespondAsync(request, answer, cancellationToken).ConfigureAwait(false);
    }
}
