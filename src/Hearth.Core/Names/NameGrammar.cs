using System.Text.RegularExpressions;

namespace Hearth.Core.Names;

/// <summary>
/// What one kind of name may look like. Every name the API accepts must later be usable in a URL path segment (or,
/// for image references, the catch-all route) to look it up, release or delete it, so '/', '..' and control characters
/// are refused where that would break.
/// </summary>
public sealed class NameGrammar(string kind, Regex pattern, int maxLength, string expected)
{
    public string Kind { get; } = kind;

    public int MaxLength { get; } = maxLength;

    /// <summary>What a valid name looks like, for error messages ("1 to 128 letters, digits, …").</summary>
    public string Expected { get; } = expected;

    public bool IsValid(string? name) =>
        name is { Length: > 0 }
        && name.Length <= MaxLength
        && !name.Contains("..", StringComparison.Ordinal)
        && pattern.IsMatch(name);

    /// <summary>Null when valid, else "'x' is not a lock name (expected …)" (the name shortened when long).</summary>
    public string? Problem(string? name)
    {
        if (IsValid(name))
            return null;
        var shown =
            name is null ? "(none)"
            : name.Length > 64 ? $"'{Printable(name[..64])}…'"
            : $"'{Printable(name)}'";
        var article = "aeio".Contains(Kind[0]) ? "an" : "a";
        return $"{shown} is not {article} {Kind} (expected {Expected})";
    }

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
