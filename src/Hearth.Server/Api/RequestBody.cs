using System.Text.Json;
using Hearth.Core;

namespace Hearth.Server.Api;

/// <summary>Reads a JSON body and turns malformed JSON into a 400 that says where, instead of an exception.</summary>
public static class RequestBody
{
    public readonly record struct Parsed<T>(T? Value, IResult? Error);

    public static async Task<Parsed<T>> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, HearthJson.Options.TypeInfo<T>(), ct);
            return value is null ? new Parsed<T>(null, ApiResults.Invalid("request body: expected a JSON object")) : new Parsed<T>(value, null);
        }
        catch (JsonException e)
        {
            return new Parsed<T>(null, ApiResults.Invalid(JsonErrors.Describe(e)));
        }
    }
}
