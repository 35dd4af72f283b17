using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Server.Logs;

/// <summary>
/// Writes a page of a run's log as the JSON of <see cref="LogPageView"/>, line by line as the store reads them, into a
/// pooled buffer: a 10,000-line page becomes its bytes without ten thousand line objects in between. The bytes are the
/// same as <see cref="HearthJson"/> gives for the view (a test holds both to that).
/// </summary>
public sealed class LogPageWriter : ILogLineSink, IDisposable
{
    private static readonly JsonEncodedText RunIdName = JsonEncodedText.Encode("run_id");
    private static readonly JsonEncodedText StatusName = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText LinesName = JsonEncodedText.Encode("lines");
    private static readonly JsonEncodedText NextName = JsonEncodedText.Encode("next");
    private static readonly JsonEncodedText CompleteName = JsonEncodedText.Encode("complete");
    private static readonly JsonEncodedText ExitCodeName = JsonEncodedText.Encode("exit_code");

    private readonly PooledBufferWriter _buffer;
    private readonly Utf8JsonWriter _json;

    public LogPageWriter(Run run, int expectedLines)
    {
        _buffer = new PooledBufferWriter(Math.Clamp(expectedLines, 16, LogFollower.MaxPageSize) * 192);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        _json.WriteStartObject();
        _json.WriteString(RunIdName, run.Id);
        _json.WritePropertyName(StatusName);
        JsonSerializer.Serialize(_json, run.State, HearthJson.Options.TypeInfo<RunState>());
        _json.WriteStartArray(LinesName);
    }

    public void Write(long seq, DateTimeOffset time, LogStream stream, string text, string? step) =>
        LogLineJson.Write(_json, seq, time, stream, text, step);

    /// <summary>
    /// Closes the page with where the next one starts; the bytes stay valid until this writer is disposed.
    /// </summary>
    public ReadOnlyMemory<byte> Finish(long next, bool complete, int? exitCode)
    {
        _json.WriteEndArray();
        _json.WriteNumber(NextName, next);
        _json.WriteBoolean(CompleteName, complete);
        if (exitCode is { } code)
            _json.WriteNumber(ExitCodeName, code);
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    public void Dispose()
    {
        _json.Dispose();
        _buffer.Dispose();
    }
}
