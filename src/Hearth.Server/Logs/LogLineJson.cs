using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.Server.Logs;

/// <summary>One log line as the JSON of <see cref="LogLineView"/>, written without making the view.</summary>
public static class LogLineJson
{
    private static readonly JsonEncodedText SeqName = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText StreamName = JsonEncodedText.Encode("stream");
    private static readonly JsonEncodedText TextName = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText StepName = JsonEncodedText.Encode("step");

    // The streams' names as the wire spells them, taken from the one JSON shape rather than written out again.
    private static readonly JsonEncodedText[] StreamNames = Enum.GetValues<LogStream>()
        .Select(s => JsonEncodedText.Encode(HearthJson.Serialize(s).Trim('"')))
        .ToArray();
    private static readonly int FirstStream = (int)Enum.GetValues<LogStream>().Min();

    public static void Write(
        Utf8JsonWriter json,
        long seq,
        DateTimeOffset time,
        LogStream stream,
        string text,
        string? step
    )
    {
        json.WriteStartObject();
        json.WriteNumber(SeqName, seq);
        json.WriteString(TimeName, time);
        json.WriteString(StreamName, StreamNames[(int)stream - FirstStream]);
        json.WriteString(TextName, text);
        if (step is not null)
            json.WriteString(StepName, step);
        json.WriteEndObject();
    }
}
