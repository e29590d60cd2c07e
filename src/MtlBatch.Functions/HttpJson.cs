using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Core;

namespace MtlBatch.Functions;

/// <summary>JSON responses written with the project's serializer settings (camelCase, same as result.json).</summary>
internal static class HttpJson
{
    public static async Task<HttpResponseData> RespondAsync<T>(HttpRequestData request, HttpStatusCode status, T body, CancellationToken cancellationToken)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteStringAsync(MtlJson.Serialize(body), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response;
    }

    public static Task<HttpResponseData> ProblemAsync(HttpRequestData request, HttpStatusCode status, string message, CancellationToken cancellationToken) =>
        RespondAsync(request, status, new { error = message }, cancellationToken);
}
