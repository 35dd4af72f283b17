using System.Text.Json;
using Hearth.Core.Logs;

namespace Hearth.Cli.Client;

/// <summary>Where the next page of a log starts, and whether the log is complete.</summary>
public readonly record struct LogPageEnd(int Lines, long Next, bool Complete);

/// <summary>
/// Prints a page of a run's log (the JSON of GET /runs/{id}/logs) as text straight from its bytes: a line's text goes
/// from the page to stdout without becoming a string, which is most of what `hearth logs` of a long log costs.
/// </summary>
public static class LogPageText
{
    public static LogPageEnd Print(ReadOnlySpan<byte> page, LogPrinter printer)
    {
        try
        {
            return Read(page, printer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw NotAPage();
        }
    }

    private static LogPageEnd Read(ReadOnlySpan<byte> page, LogPrinter printer)
    {
        var json = new Utf8JsonReader(page);
        var scratch = new byte[256];
        long next = 0;
        var complete = false;
        var lines = 0;
        string? lastStep = null;
        Expect(json.Read() && json.TokenType == JsonTokenType.StartObject);
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (json.ValueTextEquals("lines"u8))
            {
                Expect(json.Read() && json.TokenType == JsonTokenType.StartArray);
                while (json.Read() && json.TokenType == JsonTokenType.StartObject)
                {
                    PrintLine(ref json, printer, ref scratch, ref lastStep);
                    lines++;
                }
                Expect(json.TokenType == JsonTokenType.EndArray);
            }
            else if (json.ValueTextEquals("next"u8))
            {
                Expect(json.Read());
                next = json.GetInt64();
            }
            else if (json.ValueTextEquals("complete"u8))
            {
                Expect(json.Read());
                complete = json.GetBoolean();
            }
            else
            {
                Expect(json.Read());
                json.Skip();
            }
        }
        return new LogPageEnd(lines, next, complete);
    }

    private static void PrintLine(ref Utf8JsonReader json, LogPrinter printer, ref byte[] scratch, ref string? lastStep)
    {
        var stream = LogStream.Stdout;
        var text = ReadOnlySpan<byte>.Empty;
        string? step = null;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (json.ValueTextEquals("text"u8))
            {
                Expect(json.Read() && json.TokenType == JsonTokenType.String);
                if (json.ValueIsEscaped)
                {
                    var escaped = json.ValueSpan.Length;
                    if (scratch.Length < escaped)
                        scratch = new byte[Math.Max(escaped, scratch.Length * 2)];
                    text = scratch.AsSpan(0, json.CopyString(scratch));
                }
                else
                {
                    text = json.ValueSpan;
                }
            }
            else if (json.ValueTextEquals("stream"u8))
            {
                Expect(json.Read());
                stream =
                    json.ValueTextEquals("STDOUT"u8) ? LogStream.Stdout
                    : json.ValueTextEquals("STDERR"u8) ? LogStream.Stderr
                    : LogStream.System;
            }
            else if (json.ValueTextEquals("step"u8))
            {
                Expect(json.Read());
                // A step's lines come together: its name is made once, not once per line.
                if (json.TokenType == JsonTokenType.String && (lastStep is null || !json.ValueTextEquals(lastStep)))
                    lastStep = json.GetString();
                step = json.TokenType == JsonTokenType.String ? lastStep : null;
            }
            else
            {
                Expect(json.Read());
                json.Skip();
            }
        }
        Expect(json.TokenType == JsonTokenType.EndObject);
        printer.WriteText(stream, text, step);
    }

    private static void Expect(bool ok)
    {
        if (!ok)
            throw NotAPage();
    }

    private static CliException NotAPage() =>
        new("the server's log page is not the JSON this CLI reads (is the server a different version?)");
}
