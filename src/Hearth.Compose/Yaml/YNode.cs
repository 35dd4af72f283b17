namespace Hearth.Compose.Yaml;

/// <summary>An immutable YAML node with anchors, aliases and merge keys already resolved.</summary>
public abstract record YNode(SourceMark Mark);

public sealed record YScalar(SourceMark Mark, string Value, bool IsPlain) : YNode(Mark)
{
    private static readonly HashSet<string> NullWords = ["", "~", "null", "Null", "NULL"];

    /// <summary>A plain <c>null</c>, <c>~</c> or empty scalar.</summary>
    public bool IsNull => IsPlain && NullWords.Contains(Value);

    public YScalar WithValue(string value) => this with { Value = value };
}

public sealed record YSequence(SourceMark Mark, IReadOnlyList<YNode> Items) : YNode(Mark);

public sealed record YEntry(YScalar Key, YNode Value);

public sealed record YMapping(SourceMark Mark, IReadOnlyList<YEntry> Entries) : YNode(Mark)
{
    public YNode? this[string key]
    {
        get
        {
            foreach (var e in Entries)
                if (e.Key.Value == key)
                    return e.Value;
            return null;
        }
    }

    public YEntry? Entry(string key) => Entries.FirstOrDefault(e => e.Key.Value == key);

    public YMapping With(string key, YNode value, SourceMark? keyMark = null)
    {
        var list = Entries.ToList();
        var i = list.FindIndex(e => e.Key.Value == key);
        if (i >= 0)
            list[i] = list[i] with { Value = value };
        else
            list.Add(new YEntry(new YScalar(keyMark ?? value.Mark, key, true), value));
        return this with { Entries = list };
    }

    public YMapping Without(string key) => this with { Entries = Entries.Where(e => e.Key.Value != key).ToList() };
}
