using System.Collections.Immutable;
using Hearth.Compose.Model;
using Hearth.Compose.Schema;
using Hearth.Compose.Yaml;

namespace Hearth.Compose.Binding;

/// <summary>Reads already-validated nodes as .NET values.</summary>
internal static class Nodes
{
    public static string? Str(YNode? node) => node is YScalar { IsNull: false } s ? s.Value : null;

    public static bool? Bool(YNode? node) => Str(node) is { } s && ScalarParsing.TryBoolean(s, out var b) ? b : null;

    public static long? Long(YNode? node) => Str(node) is { } s && ScalarParsing.TryInteger(s, out var l) ? l : null;

    public static double? Double(YNode? node) => Str(node) is { } s && ScalarParsing.TryNumber(s, out var d) ? d : null;

    public static TimeSpan? Duration(YNode? node) => Str(node) is { } s && GoDuration.TryParse(s, out var t) ? t : null;

    public static long? Bytes(YNode? node) => Str(node) is { } s && ByteSize.TryParse(s, out var b) ? b : null;

    /// <summary>A string or a list of strings, as a list.</summary>
    public static ImmutableArray<string> StrList(YNode? node) =>
        node switch
        {
            YScalar { IsNull: false } s => [s.Value],
            YSequence seq => [.. seq.Items.OfType<YScalar>().Where(s => !s.IsNull).Select(s => s.Value)],
            _ => [],
        };

    /// <summary>A mapping (or <c>KEY=VALUE</c> list) as a sorted dictionary; null values stay null.</summary>
    public static ImmutableSortedDictionary<string, string?> NullableMap(YNode? node)
    {
        var map = node is YSequence seq ? Loading.ShortSyntax.KeyValueListToMap(seq, '=') : node as YMapping;
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
        foreach (var e in map?.Entries ?? [])
            builder[e.Key.Value] = e.Value is YScalar { IsNull: true } ? null : Text(e.Value);
        return builder.ToImmutable();
    }

    /// <summary>Like <see cref="NullableMap"/> with null read as an empty string (labels).</summary>
    public static ImmutableSortedDictionary<string, string> Map(YNode? node) =>
        NullableMap(node).ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value ?? "", StringComparer.Ordinal);

    public static string Text(YNode node) => node is YScalar s ? s.Value : "";

    public static ComposeValue Value(YNode node) =>
        node switch
        {
            YScalar s when s.IsNull => ComposeValue.Null,
            YScalar { IsPlain: true } s when ScalarParsing.TryBoolean(s.Value, out var b) =>
                new ComposeValue.BooleanValue(b),
            YScalar { IsPlain: true } s when ScalarParsing.TryInteger(s.Value, out var l) =>
                new ComposeValue.IntegerValue(l),
            YScalar { IsPlain: true } s when LooksLikeFloat(s.Value) && ScalarParsing.TryNumber(s.Value, out var d) =>
                new ComposeValue.NumberValue(d),
            YScalar s => new ComposeValue.StringValue(s.Value),
            YSequence seq => new ComposeValue.ListValue([.. seq.Items.Select(Value)]),
            YMapping map => new ComposeValue.MapValue([
                .. map.Entries.Select(e => KeyValuePair.Create(e.Key.Value, Value(e.Value))),
            ]),
            _ => ComposeValue.Null,
        };

    public static ImmutableSortedDictionary<string, ComposeValue> Values(IEnumerable<YEntry> entries) =>
        entries.ToImmutableSortedDictionary(e => e.Key.Value, e => Value(e.Value), StringComparer.Ordinal);

    public static ImmutableSortedDictionary<string, ComposeValue> Extensions(YMapping map) =>
        Values(map.Entries.Where(e => e.Key.Value.StartsWith("x-", StringComparison.Ordinal)));

    public static ImmutableSortedDictionary<string, ComposeValue> Others(YMapping map, IReadOnlySet<string> typed) =>
        Values(
            map.Entries.Where(e =>
                !typed.Contains(e.Key.Value) && !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)
            )
        );

    private static bool LooksLikeFloat(string s) =>
        s.Length > 0
        && (char.IsAsciiDigit(s[0]) || s[0] is '-' or '+' or '.')
        && s.Any(char.IsAsciiDigit)
        && s.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '-' or '+');
}
