using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>
/// Who made the current request, as established by <see cref="ApiKeyMiddleware"/>. <see cref="Name"/> owns what it
/// creates.
/// </summary>
public sealed record Caller(string KeyId, string Name, KeyKind Kind, string Role)
{
    public static Caller From(HttpContext context) =>
        Find(context) ?? throw new InvalidOperationException("request was not authenticated");

    public static Caller? Find(HttpContext context) => context.Items[typeof(Caller)] as Caller;
}
