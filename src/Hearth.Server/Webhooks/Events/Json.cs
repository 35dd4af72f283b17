using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>Reads optional fields along a path of a payload, whatever their absence or null-ness.</summary>
internal static class Json
{
    public static JsonElement? At(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                return null;
        }
        return element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : element;
    }

    public static string? Str(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static int? Int(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var number)
            ? number
            : null;

    /// <summary>
    /// True only when both values are present and equal as JSON (a name or a number): the same repository.
    /// </summary>
    public static bool Same(JsonElement? a, JsonElement? b) =>
        a is { } left
        && b is { } right
        && left.ValueKind == right.ValueKind
        && left.ValueKind is JsonValueKind.String or JsonValueKind.Number
        && left.GetRawText() == right.GetRawText();

    public static bool Bool(JsonElement element, params string[] path) =>
        At(element, path) is { ValueKind: JsonValueKind.True };

    /// <summary>
    /// The added, modified and removed paths of a push's commits, in order, once each; null when no commit lists them
    /// (then nothing is known of the paths, which is not the same as none changed).
    /// </summary>
    public static IReadOnlyList<string>? CommitPaths(JsonElement root)
    {
        if (At(root, "commits") is not { ValueKind: JsonValueKind.Array } commits || commits.GetArrayLength() == 0)
            return null;
        var paths = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var listed = false;
        foreach (var commit in commits.EnumerateArray())
        {
            foreach (var kind in new[] { "added", "modified", "removed" })
            {
                if (At(commit, kind) is not { ValueKind: JsonValueKind.Array } list)
                    continue;
                listed = true;
                foreach (var path in list.EnumerateArray())
                {
                    if (path.ValueKind == JsonValueKind.String && seen.Add(path.GetString()!))
                        paths.Add(path.GetString()!);
                }
            }
        }
        return listed ? paths : null;
    }

    public static bool IsZeroSha(string? sha) => sha is not null && sha.Length > 0 && sha.All(c => c == '0');
}
