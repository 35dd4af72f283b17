using System.Collections.Immutable;

namespace Hearth.Compose.Model;

/// <summary>
/// An untyped but immutable value, kept for <c>x-</c> extensions and for keys Hearth validates and prints but
/// does not act on. Map keys keep their source order.
/// </summary>
public abstract record ComposeValue
{
    public static readonly ComposeValue Null = new NullValue();

    public sealed record NullValue : ComposeValue;

    public sealed record StringValue(string Value) : ComposeValue;

    public sealed record IntegerValue(long Value) : ComposeValue;

    public sealed record NumberValue(double Value) : ComposeValue;

    public sealed record BooleanValue(bool Value) : ComposeValue;

    public sealed record ListValue(ImmutableArray<ComposeValue> Items) : ComposeValue;

    public sealed record MapValue(ImmutableArray<KeyValuePair<string, ComposeValue>> Entries) : ComposeValue;
}
