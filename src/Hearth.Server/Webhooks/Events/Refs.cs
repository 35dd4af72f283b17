namespace Hearth.Server.Webhooks.Events;

/// <summary>Full git ref names: <c>refs/heads/NAME</c> is a branch, <c>refs/tags/NAME</c> a tag.</summary>
internal static class Refs
{
    public const string Heads = "refs/heads/";
    public const string Tags = "refs/tags/";

    public static string? Branch(string? fullRef) =>
        fullRef?.StartsWith(Heads, StringComparison.Ordinal) == true ? fullRef[Heads.Length..] : null;

    public static string? Tag(string? fullRef) =>
        fullRef?.StartsWith(Tags, StringComparison.Ordinal) == true ? fullRef[Tags.Length..] : null;
}
