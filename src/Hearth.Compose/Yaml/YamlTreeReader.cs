using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Hearth.Compose.Yaml;

/// <summary>
/// Reads one YAML document into an immutable <see cref="YNode"/> tree: aliases are replaced by their anchored
/// node, merge keys (<c>&lt;&lt;</c>) are applied, duplicate keys are refused. A node budget stops
/// alias bombs ("billion laughs") from exhausting memory.
/// </summary>
public sealed class YamlTreeReader
{
    private const int MaxNodes = 1_000_000;
    private const int MaxDepth = 512;
    private const string MergeKey = "<<";

    private readonly string _file;
    private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
    private readonly Dictionary<YNode, int> _sizes = new(ReferenceEqualityComparer.Instance);
    private int _nodes;

    private YamlTreeReader(string file) => _file = file;

    /// <summary>Returns the document's root, null for an empty document, or the error that stopped reading.</summary>
    public static (YNode? Root, ComposeError? Error) Read(string file, string text)
    {
        var reader = new YamlTreeReader(file);
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                return (null, null);
            parser.Consume<DocumentStart>();
            YNode? root = parser.Accept<DocumentEnd>(out _) ? null : reader.ReadNode(parser, 0);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
                return (
                    null,
                    reader.Error(
                        parser.Current?.Start ?? Mark.Empty,
                        "",
                        "a compose file must hold a single YAML document"
                    )
                );
            return (root, null);
        }
        catch (YamlException ex)
        {
            var (line, column, message) = Describe(ex, text);
            return (null, new ComposeError(file, line, column, "", message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up on some unclosed flow collections with no message of its own: find the
            // bracket.
            if (FlowBrackets.FindUnclosed(text) is { } open)
                return (
                    null,
                    new ComposeError(
                        file,
                        open.Line,
                        open.Column,
                        "",
                        $"invalid YAML: this '{open.Bracket}' is never closed (expected '{(open.Bracket == '{' ? '}' : ']')}')"
                    )
                );
            var at = parser.Current?.Start ?? Mark.Empty;
            return (null, reader.Error(at, "", "invalid YAML: the parser could not read past this point"));
        }
    }

    private static (int Line, int Column, string Message) Describe(YamlException ex, string text)
    {
        var message = ex.InnerException?.Message ?? ex.Message;
        var paren = message.IndexOf("): ", StringComparison.Ordinal);
        message = message.StartsWith('(') && paren > 0 ? message[(paren + 3)..] : message;
        // YamlDotNet reports a tab in indentation where the enclosing mapping starts, often lines above; point at the
        // tab.
        var lines = text.Split('\n');
        var first = Math.Max(0, (int)ex.Start.Line - 2);
        var last = message.Contains("tab", StringComparison.OrdinalIgnoreCase)
            ? lines.Length - 1
            : Math.Min(lines.Length - 1, (int)ex.End.Line);
        for (var i = first; i <= last; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', 0, indent);
            if (tab >= 0)
                return (
                    i + 1,
                    tab + 1,
                    "found a tab character that violates indentation (YAML indents with spaces only)"
                );
        }
        return ((int)ex.Start.Line, (int)ex.Start.Column, "invalid YAML: " + message);
    }

    private ComposeError Error(Mark mark, string path, string message) =>
        new(_file, (int)mark.Line, (int)mark.Column, path, message);

    private SourceMark MarkOf(ParsingEvent e) => new(_file, (int)e.Start.Line, (int)e.Start.Column);

    private void Count(ParsingEvent e, int weight = 1)
    {
        _nodes += weight;
        if (_nodes > MaxNodes)
            throw new SemanticErrorException(e.Start, e.End, "document expands to too many nodes (alias bomb?)");
    }

    private YNode ReadNode(IParser parser, int depth)
    {
        if (depth > MaxDepth)
            throw new SemanticErrorException(parser.Current!.Start, parser.Current.End, "document nests too deeply");
        var current = parser.Current ?? throw new InvalidOperationException("unexpected end of YAML");
        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    throw new SemanticErrorException(alias.Start, alias.End, $"unknown anchor '{alias.Value.Value}'");
                Count(alias, _sizes.GetValueOrDefault(target, 1));
                return target;
            case Scalar scalar:
            {
                parser.MoveNext();
                Count(scalar);
                var plain = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
                var node = new YScalar(MarkOf(scalar), scalar.Value, plain);
                Remember(scalar.Anchor, node);
                return node;
            }
            case SequenceStart start:
            {
                parser.MoveNext();
                Count(start);
                var items = new List<YNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                    items.Add(ReadNode(parser, depth + 1));
                var node = new YSequence(MarkOf(start), items);
                Remember(start.Anchor, node);
                return node;
            }
            case MappingStart start:
            {
                parser.MoveNext();
                Count(start);
                var node = ReadMapping(parser, start, depth);
                Remember(start.Anchor, node);
                return node;
            }
            default:
                throw new SemanticErrorException(
                    current.Start,
                    current.End,
                    $"unexpected YAML event {current.GetType().Name}"
                );
        }
    }

    private YMapping ReadMapping(IParser parser, MappingStart start, int depth)
    {
        var entries = new List<YEntry>();
        var merged = new List<YMapping>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyEvent = parser.Current!;
            var keyNode = ReadNode(parser, depth + 1);
            if (keyNode is not YScalar key)
                throw new SemanticErrorException(keyEvent.Start, keyEvent.End, "mapping keys must be scalars");
            var value = ReadNode(parser, depth + 1);
            if (key.IsPlain && key.Value == MergeKey)
            {
                CollectMerge(value, keyEvent, merged);
                continue;
            }
            if (!seen.Add(key.Value))
                throw new SemanticErrorException(
                    keyEvent.Start,
                    keyEvent.End,
                    $"mapping key \"{key.Value}\" already defined"
                );
            entries.Add(new YEntry(key, value));
        }
        // Explicit keys win over merged ones; earlier merge sources win over later ones.
        foreach (var source in merged)
        foreach (var entry in source.Entries)
            if (seen.Add(entry.Key.Value))
                entries.Add(entry);
        return new YMapping(MarkOf(start), entries);
    }

    private static void CollectMerge(YNode value, ParsingEvent at, List<YMapping> merged)
    {
        switch (value)
        {
            case YMapping map:
                merged.Add(map);
                break;
            case YSequence seq when seq.Items.All(i => i is YMapping):
                merged.AddRange(seq.Items.Cast<YMapping>());
                break;
            default:
                throw new SemanticErrorException(
                    at.Start,
                    at.End,
                    "merge key << must refer to a mapping or a sequence of mappings"
                );
        }
    }

    private void Remember(AnchorName anchor, YNode node)
    {
        if (anchor.IsEmpty)
            return;
        _anchors[anchor.Value] = node;
        _sizes[node] = SizeOf(node);
    }

    // Expanded size of an anchored node, so that an alias costs what it would cost written out.
    private int SizeOf(YNode node) =>
        _sizes.TryGetValue(node, out var known)
            ? known
            : node switch
            {
                YSequence s => (int)Math.Min(MaxNodes + 1L, 1L + s.Items.Sum(i => (long)SizeOf(i))),
                YMapping m => (int)Math.Min(MaxNodes + 1L, 1L + m.Entries.Sum(e => 1L + SizeOf(e.Value))),
                _ => 1,
            };
}
