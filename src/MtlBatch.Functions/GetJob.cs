using System.Net;
using System.Web;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>GET /api/jobs/{id} or GET /api/jobs?recording=calls/a.mp3: the job's ledger row (state, attempts, timings, model, error).</summary>
public sealed class GetJob(JobQueryService jobs)
{
    [Function(nameof(GetJob))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id?}")] HttpRequestData request, string? id, CancellationToken cancellationToken)
    {
        var recording = HttpUtility.ParseQueryString(request.Url.Query)["recording"];
        if (string.IsNullOrEmpty(id) && string.IsNullOrEmpty(recording))
            return await HttpJson.ProblemAsync(request, HttpStatusCode.BadRequest, "Give a job id (jobs/{id}) or ?recording=<path>.", cancellationToken).ConfigureAwait(false);

        var status = string.IsNullOrEmpty(id)
            ? await jobs.GetByRecordingAsync(recording!, cancellationToken).ConfigureAwait(false)
            : await jobs.GetByJobIdAsync(id, cancellationToken).ConfigureAwait(false);
        return status is null
            ? await HttpJson.ProblemAsync(request, HttpStatusCode.NotFound, "No such job.", cancellationToken).ConfigureAwait(false)
            : await HttpJson.RespondAsync(request, HttpStatusCode.OK, status, cancellationToken).ConfigureAwait(false);
    }
}
