using System.Web;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>GET /api/jobs/{id} or GET /api/jobs?recording=calls/a.mp3: the job's ledger row (state, attempts, timings, model, error).</summary>
public sealed class GetJob(PipelineApi api)
{
    [Function(nameof(GetJob))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id?}")] HttpRequestData request, string? id, CancellationToken cancellationToken)
    {
        var recording = HttpUtility.ParseQueryString(request.Url.Query)["recording"];
        var answer = await api.GetJobAsync(id, recording, cancellationToken).ConfigureAwait(false);
        return await HttpJson.RespondAsync(request, answer, cancellationToken).ConfigureAwait(false);
    }
}
