namespace Hearth.Server.OpenApi;

/// <summary>
/// What an endpoint's OpenAPI description needs beyond its handler's signature: Hearth's handlers read their JSON body
/// and write their answers through <see cref="Api.ApiResults"/>, so the body, answer and error types are stated beside
/// the mapping, where a change to the handler is seen.
/// </summary>
public static class EndpointDescriptions
{
    /// <summary>The JSON body the handler reads.</summary>
    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder)
        where T : notnull => builder.Accepts<T>("application/json");

    /// <summary>A JSON answer of <typeparamref name="T"/> with <paramref name="status"/>.</summary>
    public static RouteHandlerBuilder Answers<T>(
        this RouteHandlerBuilder builder,
        int status = StatusCodes.Status200OK
    ) => builder.Produces<T>(status, "application/json");

    /// <summary>Error codes the handler itself answers with <paramref name="status"/>.</summary>
    public static TBuilder Errors<TBuilder>(this TBuilder builder, int status, params string[] codes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ErrorCodesMetadata(status, codes));

    /// <summary>The handler also streams Server-Sent Events.</summary>
    public static TBuilder Streams<TBuilder>(this TBuilder builder, string description, params StreamEvent[] events)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new EventStreamMetadata(events, description));
}
