using System.Net;
using System.Text.Json;
using MtlBatch.Core;

namespace MtlBatch.Pipeline;

/// <summary>An HTTP answer of the pipeline's API: status and a body serialised with <see cref="MtlJson"/>.</summary>
public sealed record ApiResponse(HttpStatusCode Status, object Body)
{
    public static ApiResponse Problem(HttpStatusCode status, string message) => new(status, new ApiProblem(message));
}

/// <summary>The body of an error answer: <c>{"error": "..."}</c>.</summary>
public sealed record ApiProblem(string Error);

/// <summary>
/// The HTTP API (<c>GET /api/jobs/{id}</c>, <c>GET /api/jobs?recording=</c>, <c>POST /api/reprocess</c>), independent of
/// the host: the Functions app's HTTP functions and the local worker's server (<c>mtlbatch worker --http-port</c>) only
/// move requests and answers in and out of it, so both answer the same.
/// </summary>
public sealed class PipelineApi(JobQueryService jobs, ReprocessScheduler scheduler)
{
    /// <summary>Reprocess bodies are a few fields; anything larger is not a request of ours.</summary>
    public const int MaxReprocessBodyBytes = 64 * 1024;

    /// <summary>The job's ledger row (200), 404 when unknown, 400 without an id or a recording.</summary>
    public async Task<ApiResponse> GetJobAsync(string? id, string? recording, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) && string.IsNullOrEmpty(recording))
            return ApiResponse.Problem(HttpStatusCode.BadRequest, "Give a job id (jobs/{id}) or ?recording=<path>.");
        var status = string.IsNullOrEmpty(id)
            ? await jobs.GetByRecordingAsync(recording!, cancellationToken).ConfigureAwait(false)
            : await jobs.GetByJobIdAsync(id, cancellationToken).ConfigureAwait(false);
        return status is null ? ApiResponse.Problem(HttpStatusCode.NotFound, "No such job.") : new ApiResponse(HttpStatusCode.OK, status);
    }

    /// <summary>
    /// Starts a reprocess batch for the body <c>{prefix, since, force}</c> (empty = the whole container): its first scan
    /// message is queued and the answer is 202 with <c>{batchId, ...}</c> at once (the scan fans out through
    /// <c>reprocess-scans</c> and <c>intake-jobs</c>, nothing runs inside the request); 400 for a body that is not such JSON.
    /// </summary>
    public async Task<ApiResponse> ReprocessAsync(Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var bytes = await ReadBoundedAsync(body, cancellationToken).ConfigureAwait(false);
        if (bytes is null) return ApiResponse.Problem(HttpStatusCode.RequestEntityTooLarge, $"The body is larger than {MaxReprocessBodyBytes} bytes.");
        ReprocessRequest? request;
        try
        {
            request = bytes.Length == 0 || bytes.All(b => b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t')
                ? new ReprocessRequest()
                : JsonSerializer.Deserialize<ReprocessRequest>(bytes, MtlJson.Options);
        }
        catch (JsonException ex)
        {
            return ApiResponse.Problem(HttpStatusCode.BadRequest, "Body must be JSON {prefix, since, force}: " + ex.Message);
        }
        var batch = await RunReprocessAsync(request ?? new ReprocessRequest(), cancellationToken).ConfigureAwait(false);
        return new ApiResponse(HttpStatusCode.Accepted, batch);
    }

    /// <summary>What <c>POST /api/reprocess</c> does (also <c>mtlbatch reprocess</c>): queue the batch's first scan.</summary>
    public Task<ReprocessBatch> RunReprocessAsync(ReprocessRequest request, CancellationToken cancellationToken) =>
        scheduler.StartBatchAsync(request, cancellationToken);

    private static async Task<byte[]?> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxReprocessBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
