namespace Hearth.Server.Auth;

/// <summary>
/// The peer's address. Forwarded headers are not trusted: put the limits on the proxy if there is one.
/// </summary>
public static class ClientAddress
{
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
