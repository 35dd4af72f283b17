using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Api;

/// <summary>Every error leaves the API as {error, code, details} with a status that means it.</summary>
public static class ApiResults
{
    public static IResult Error(int status, string code, string message, object? details = null) =>
        Json(new ErrorView(message, code, details), status);

    public static IResult Invalid(string message, object? details = null) =>
        Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", message, details);

    public static IResult NotFound(string what) => Error(StatusCodes.Status404NotFound, "NOT_FOUND", what);

    public static IResult Stale(string taskId) =>
        Error(
            StatusCodes.Status409Conflict,
            "STALE_LEASE",
            $"task {taskId}: this lease is no longer current; stop the sandbox"
        );

    public static IResult Json<T>(T value, int status = StatusCodes.Status200OK) =>
        Results.Json(value, HearthJson.Options.TypeInfo<T>(), statusCode: status);
}
