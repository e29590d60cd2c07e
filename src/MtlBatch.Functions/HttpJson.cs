using Microsoft.Azure.Functions.Worker.Http;
using MtlBatch.Core;
using MtlBatch.Pipeline;

namespace MtlBatch.Functions;

/// <summary>Writes a <see cref="PipelineApi"/> answer with the project's serializer settings (camelCase, same as result.json).</summary>
internal static class HttpJson
{
    public static async Task<HttpResponseData> RespondAsync(HttpRequestData request, ApiResponse answer, CancellationToken cancellationToken)
    {
        var response = request.CreateResponse(answer.Status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteStringAsync(MtlJson.Serialize(answer.Body), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response;
    }
}
