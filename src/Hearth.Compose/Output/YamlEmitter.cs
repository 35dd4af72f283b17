using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hearth.Compose.Model;

namespace Hearth.Compose.Output;

/// <summary>
/// Writes a <see cref="ComposeValue"/> as block YAML with two-space indentation. Strings are quoted whenever YAML
/// would read them as anything else, and <c>$</c> in values is written <c>$$</c> so that reading the output
/// back does not interpolate again.
/// </summary>
public static partial class YamlEmitter
{
    private static readonly HashSet<string> ReservedWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "null",
        "~",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
    };

    public static string Emit(ComposeValue value)
    {
        var sb = new StringBuilder();
        WriteBlock(sb, value, 0);
        return sb.ToString();
    }

    private static void WriteBlock(StringBuilder sb, ComposeValue value, int indent)
    {
        switch (value)
        {
            case ComposeValue.MapValue map:
                foreach (var (key, item) in map.Entries)
                {
                    sb.Append(' ', indent).Append(Quote(key, escapeDollar: false)).Append(':');
                    WriteAfterKey(sb, item, indent);
                }
                break;
            case ComposeValue.ListValue list:
                foreach (var item in list.Items)
                {
                    sb.Append(' ', indent).Append('-');
                    if (IsEmptyOrScalar(item))
                    {
                        sb.Append(' ').Append(Inline(item)).Append('\n');
                        continue;
                    }
                    // Nested block: its first line goes after "- ", the rest indented under it.
                    var nested = new StringBuilder();
                    WriteBlock(nested, item, indent + 2);
                    sb.Append(' ').Append(nested.ToString(indent + 2, nested.Length - indent - 2));
                }
                break;
            default:
                sb.Append(' ', indent).Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static void WriteAfterKey(StringBuilder sb, ComposeValue item, int indent)
    {
        if (IsEmptyOrScalar(item))
        {
            sb.Append(' ').Append(Inline(item)).Append('\n');
            return;
        }
        sb.Append('\n');
        WriteBlock(sb, item, item is ComposeValue.ListValue ? indent + 2 : indent + 2);
    }

    private static bool IsEmptyOrScalar(ComposeValue value) =>
        value switch
        {
            ComposeValue.MapValue m => m.Entries.IsEmpty,
            ComposeValue.ListValue l => l.Items.IsEmpty,
            _ => true,
        };

    private static string Inline(ComposeValue value) =>
        value switch
        {
            ComposeValue.NullValue => "null",
            ComposeValue.BooleanValue b => b.Value ? "true" : "false",
            ComposeValue.IntegerValue i => i.Value.ToString(CultureInfo.InvariantCulture),
            ComposeValue.NumberValue n => n.Value.ToString("R", CultureInfo.InvariantCulture),
            ComposeValue.StringValue s => Quote(s.Value, escapeDollar: true),
            ComposeValue.MapValue => "{}",
            ComposeValue.ListValue => "[]",
            _ => "null",
        };

    public static string Quote(string text, bool escapeDollar)
    {
        if (escapeDollar)
            text = text.Replace("$", "$$");
        if (PlainSafe().IsMatch(text) && !ReservedWords.Contains(text))
            return text;
        var sb = new StringBuilder("\"");
        foreach (var c in text)
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
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF' or '\u0085')
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    // Starts with a letter, '_' or '/', and holds nothing YAML could read as structure or a number.
    [GeneratedRegex("^[A-Za-z_/][A-Za-z0-9_./@+-]*$")]
    private static partial Regex PlainSafe();
}
