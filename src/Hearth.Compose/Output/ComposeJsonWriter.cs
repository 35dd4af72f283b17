using System.Text;
using System.Text.Json;
using Hearth.Compose.Model;

namespace Hearth.Compose.Output;

/// <summary>The normalised project as JSON, the same model <see cref="ComposeConfigWriter"/> prints as YAML
/// (as <c>docker compose config --format json</c>): compose's own keys, which are snake_case already.</summary>
public static class ComposeJsonWriter
{
    public static string Write(ComposeProject project)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            WriteValue(writer, ComposeConfigWriter.ToValue(project));
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteValue(Utf8JsonWriter writer, ComposeValue value)
    {
        switch (value)
        {
            case ComposeValue.StringValue s:
                writer.WriteStringValue(s.Value);
                break;
            case ComposeValue.IntegerValue i:
                writer.WriteNumberValue(i.Value);
                break;
            case ComposeValue.NumberValue n:
                writer.WriteNumberValue(n.Value);
                break;
            case ComposeValue.BooleanValue b:
                writer.WriteBooleanValue(b.Value);
                break;
            case ComposeValue.ListValue list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                    WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            case ComposeValue.MapValue map:
                writer.WriteStartObject();
                foreach (var (key, item) in map.Entries)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }
                writer.WriteEndObject();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
