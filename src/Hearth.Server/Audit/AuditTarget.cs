namespace Hearth.Server.Audit;

/// <summary>
/// What a request acted on, when the route does not say (the id of a run it created, the user a token was claimed for).
/// </summary>
public static class AuditTarget
{
    private const string Key = "hearth.audit.target";

    public static void Set(HttpContext context, string target) => context.Items[Key] = target;

    public static string? Get(HttpContext context) =>
        context.Items.TryGetValue(Key, out var value) ? value as string : null;
}
