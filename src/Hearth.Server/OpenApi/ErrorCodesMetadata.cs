namespace Hearth.Server.OpenApi;

/// <summary>
/// Error codes an endpoint itself answers with one status (its body an <see cref="Core.Api.ErrorView"/>), for the
/// OpenAPI document. The codes the middleware adds to every endpoint (keys, roles, rate limits, the store) come from
/// <see cref="CommonErrors"/> and need not be listed.
/// </summary>
public sealed record ErrorCodesMetadata(int Status, IReadOnlyList<string> Codes);
