using Microsoft.Net.Http.Headers;

namespace Hearth.Server.Logs;

/// <summary>Sends a page of a log written by <see cref="LogPageWriter"/>, then gives its buffer back to the pool.</summary>
public sealed class LogPageResult(LogPageWriter page, ReadOnlyMemory<byte> json) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        using (page)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = json.Length;
            await http.Response.Body.WriteAsync(json, http.RequestAborted);
        }
    }
}
