using System.Text.Json;
using Hearth.Core.Logs;

namespace Hearth.Server.Logs;

/// <summary>
/// Writes lines as Server-Sent Events (<c>id:</c> the line number, <c>event: line</c>, <c>data:</c> the line's JSON)
/// into a pooled buffer while the store reads them. Reused from one read to the next: <see cref="Clear"/> empties it.
/// </summary>
public sealed class LogEventWriter : ILogLineSink, IDisposable
{
    private readonly PooledBufferWriter _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _json;

    public LogEventWriter() => _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public void Write(long seq, DateTimeOffset time, LogStream stream, string text, string? step)
    {
        Raw("id: "u8);
        var digits = _buffer.GetSpan(20);
        seq.TryFormat(digits, out var length);
        _buffer.Advance(length);
        Raw("\nevent: line\ndata: "u8);
        LogLineJson.Write(_json, seq, time, stream, text, step);
        // Each line is its own JSON value: flushed into the buffer, then the writer starts afresh for the next.
        _json.Flush();
        _json.Reset();
        Raw("\n\n"u8);
    }

    public void Clear()
    {
        _buffer.Clear();
        _json.Reset();
    }

    public void Dispose()
    {
        _json.Dispose();
        _buffer.Dispose();
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }
}
