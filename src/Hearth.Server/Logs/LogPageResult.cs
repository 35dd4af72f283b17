using System.Globalization;

namespace Hearth.Server.Logs;

/// <summary>
/// Sends a page of a log written by <see cref="LogPageWriter"/>, then gives its buffer back to the pool. Where the next
/// page starts and whether the log is complete are also headers, so a client can ask for the next page before it has
/// read this one's body.
/// </summary>
public sealed class LogPageResult(LogPageWriter page, ReadOnlyMemory<byte> json, long next, bool complete) : IResult
{
    public const string NextHeader = "Hearth-Log-Next";
    public const string CompleteHeader = "Hearth-Log-Complete";

    public async Task ExecuteAsync(HttpContext http)
    {
        using (page)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = json.Length;
            http.Response.Headers[NextHeader] = next.ToString(CultureInfo.InvariantCulture);
            http.Response.Headers[CompleteHeader] = complete ? "true" : "false";
            await http.Response.Body.WriteAsync(json, http.RequestAborted);
        }
    }
}
