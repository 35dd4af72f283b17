using System.Collections.Immutable;
using Hearth.Compose.Model;

namespace Hearth.Compose.Output;

/// <summary>Collects map entries, skipping unset values, for the config writer.</summary>
internal sealed class ValueBuilder
{
    private readonly List<KeyValuePair<string, ComposeValue>> _entries = [];

    public ValueBuilder Add(string key, ComposeValue? value)
    {
        if (value is not null)
            _entries.Add(new(key, value));
        return this;
    }

    public ValueBuilder Add(string key, string? value) => Add(key, value is null ? null : S(value));

    public ValueBuilder Add(string key, long? value) =>
        Add(key, value is null ? null : new ComposeValue.IntegerValue(value.Value));

    public ValueBuilder Add(string key, double? value) =>
        Add(key, value is null ? null : new ComposeValue.NumberValue(value.Value));

    public ValueBuilder AddTrue(string key, bool value) => Add(key, value ? new ComposeValue.BooleanValue(true) : null);

    public ValueBuilder Add(string key, bool? value) =>
        Add(key, value is null ? null : new ComposeValue.BooleanValue(value.Value));

    public ValueBuilder Add(string key, TimeSpan? value) =>
        Add(key, value is null ? null : GoDuration.Format(value.Value));

    public ValueBuilder AddList(string key, ImmutableArray<string> values) =>
        Add(key, values.IsDefaultOrEmpty ? null : List(values));

    public ValueBuilder AddMap(string key, IEnumerable<KeyValuePair<string, string>> values) =>
        AddNullableMap(key, values.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));

    public ValueBuilder AddNullableMap(string key, IEnumerable<KeyValuePair<string, string?>> values)
    {
        var entries = values
            .Select(kv => KeyValuePair.Create(kv.Key, kv.Value is null ? ComposeValue.Null : S(kv.Value)))
            .ToImmutableArray();
        return Add(key, entries.IsEmpty ? null : new ComposeValue.MapValue(entries));
    }

    public ValueBuilder AddAll(IEnumerable<KeyValuePair<string, ComposeValue>> values)
    {
        foreach (var kv in values)
            _entries.Add(kv);
        return this;
    }

    /// <summary>The entries sorted by key, so output does not depend on source order.</summary>
    public ComposeValue.MapValue Sorted() => new([.. _entries.OrderBy(e => e.Key, StringComparer.Ordinal)]);

    public ComposeValue.MapValue InOrder() => new([.. _entries]);

    public static ComposeValue S(string value) => new ComposeValue.StringValue(value);

    public static ComposeValue List(IEnumerable<string> values) => new ComposeValue.ListValue([.. values.Select(S)]);
}
