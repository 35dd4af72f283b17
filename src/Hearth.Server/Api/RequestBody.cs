using System.Text.Json;
using Hearth.Core;
using Microsoft.AspNetCore.Http.Features;

namespace Hearth.Server.Api;

/// <summary>
/// Reads a JSON body and turns malformed JSON into a 400 that says where, instead of an exception. With a size limit, a
/// larger body is refused (413 PAYLOAD_TOO_LARGE) before it is read: at once when Content-Length says so, else as soon
/// as the bytes read pass the limit, so no request makes the server hold more than the limit.
/// </summary>
public static class RequestBody
{
    public readonly record struct Parsed<T>(T? Value, IResult? Error);

    public static async Task<Parsed<T>> ReadAsync<T>(HttpContext http, CancellationToken ct, long? maxBytes = null)
        where T : class
    {
        if (maxBytes is { } max)
        {
            // Only ever lowers the server-wide limit (limits.max_body_bytes).
            var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (feature?.MaxRequestBodySize is { } global && global < max)
                maxBytes = max = global;
            if (feature is { IsReadOnly: false })
                feature.MaxRequestBodySize = max;
            if (http.Request.ContentLength > max)
                return new Parsed<T>(null, TooLarge(max));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, HearthJson.Options.TypeInfo<T>(), ct);
            return value is null
                ? new Parsed<T>(null, ApiResults.Invalid("request body: expected a JSON object"))
                : new Parsed<T>(value, null);
        }
        catch (JsonException e)
        {
            return new Parsed<T>(null, ApiResults.Invalid(JsonErrors.Describe(e)));
        }
        catch (BadHttpRequestException e)
            when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && maxBytes is not null)
        {
            return new Parsed<T>(null, TooLarge(maxBytes.Value));
        }
    }

    public static IResult TooLarge(long max) =>
        ApiResults.Error(
            StatusCodes.Status413PayloadTooLarge,
            "PAYLOAD_TOO_LARGE",
            $"the request body may be at most {max} bytes"
        );
}
