namespace Hearth.Store.Changes;

/// <summary>
/// One notification's text: the sending server's id, then its keys, one per line. Keys (ids with a prefix) never hold
/// a line break. A payload stays under PostgreSQL's 8,000-byte limit; more keys make more payloads.
/// </summary>
internal static class ChangePayload
{
    public const int MaxBytes = 7000;

    public static string Format(string sender, IEnumerable<string> keys) => sender + "\n" + string.Join('\n', keys);

    /// <summary>The keys of a payload another server sent; none for our own or for a payload we cannot read.</summary>
    public static IReadOnlyList<string> Parse(string payload, string self)
    {
        var lines = payload.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2 || lines[0] == self)
            return [];
        return lines[1..];
    }
}
