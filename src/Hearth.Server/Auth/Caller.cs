using Hearth.Store;

namespace Hearth.Server.Auth;

/// <summary>Who made the current request, as established by <see cref="ApiKeyMiddleware"/>.</summary>
public sealed record Caller(string KeyId, string Name, ApiKeyKind Kind, string Role)
{
    public static Caller From(HttpContext context) =>
        context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("request was not authenticated");
}
