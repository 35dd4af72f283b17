using System.Globalization;
using System.Text;

namespace Hearth.Kdl;

/// <summary>
/// Writes documents in the normalised form of the official KDL test suite: no comments, 4-space indents,
/// arguments in order, properties deduplicated (rightmost wins) and sorted by key, strings quoted only
/// when they must be, numbers in canonical decimal.
/// </summary>
public static class KdlWriter
{
    public static string Write(KdlDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder();
        WriteNodes(sb, document.Nodes, 0);
        if (document.Nodes.Count == 0)
        {
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static void WriteNodes(StringBuilder sb, IReadOnlyList<KdlNode> nodes, int depth)
    {
        foreach (var node in nodes)
        {
            sb.Append(' ', depth * 4);
            WriteType(sb, node.TypeAnnotation);
            WriteIdentifier(sb, node.Name);
            foreach (var argument in node.Arguments)
            {
                sb.Append(' ');
                WriteValue(sb, argument);
            }

            foreach (var property in EffectiveProperties(node))
            {
                sb.Append(' ');
                WriteIdentifier(sb, property.Key);
                sb.Append('=');
                WriteValue(sb, property.Value);
            }

            if (node.Children.Count > 0)
            {
                sb.Append(" {\n");
                WriteNodes(sb, node.Children, depth + 1);
                sb.Append(' ', depth * 4).Append('}');
            }

            sb.Append('\n');
        }
    }

    private static IEnumerable<KdlProperty> EffectiveProperties(KdlNode node)
    {
        if (node.Properties.Count == 0)
        {
            return [];
        }

        var byKey = new Dictionary<string, KdlProperty>(StringComparer.Ordinal);
        foreach (var property in node.Properties)
        {
            byKey[property.Key] = property;
        }

        return byKey.Values.OrderBy(p => p.Key, StringComparer.Ordinal);
    }

    private static void WriteType(StringBuilder sb, string? type)
    {
        if (type is not null)
        {
            sb.Append('(');
            WriteIdentifier(sb, type);
            sb.Append(')');
        }
    }

    private static void WriteValue(StringBuilder sb, KdlValue value)
    {
        WriteType(sb, value.TypeAnnotation);
        switch (value)
        {
            case KdlString s:
                WriteIdentifier(sb, s.Value);
                break;
            default:
                sb.Append(value.ToString());
                break;
        }
    }

    /// <summary>Writes the string bare when it is a valid identifier, otherwise quoted and escaped.</summary>
    public static void WriteIdentifier(StringBuilder sb, string value)
    {
        if (KdlChars.IsBareIdentifier(value))
        {
            sb.Append(value);
        }
        else
        {
            WriteQuoted(sb, value);
        }
    }

    public static void WriteQuoted(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                default:
                    if (!char.IsSurrogate(c) && (KdlChars.IsDisallowedLiteral(c) || KdlChars.IsNewline(c)))
                    {
                        sb.Append("\\u{").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
