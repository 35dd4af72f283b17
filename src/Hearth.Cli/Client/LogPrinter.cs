using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.Cli.Client;

/// <summary>Writes log lines where they belong: stdout lines to stdout, stderr and Hearth's own lines to stderr.</summary>
/// <param name="prefixSteps">Prefix each line of a workflow run with its step, as in "[1.0] ok".</param>
/// <param name="onlyStep">The one step asked for (`logs --step`): its own lines need no prefix; a group's steps' lines do.</param>
public sealed class LogPrinter(OutputFormat format, bool prefixSteps = false, string? onlyStep = null) : IDisposable
{
    // 64 KiB buffers: a 10 MB log is a few hundred writes to the terminal or pipe, not ten thousand.
    private readonly StreamWriter _out = new(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
    private readonly StreamWriter _err = new(Console.OpenStandardError(), bufferSize: 64 * 1024) { AutoFlush = false };

    public void Write(LogLineView line)
    {
        if (format == OutputFormat.Json)
        {
            _out.WriteLine(JsonSerializer.Serialize(line, CliJson.Options.TypeInfo<LogLineView>()));
            return;
        }
        var text = prefixSteps && line.Step is { } step && step != onlyStep ? $"[{step}] {line.Text}" : line.Text;
        switch (line.Stream)
        {
            case LogStream.Stdout: _out.WriteLine(text); break;
            default: _err.WriteLine(text); break;
        }
    }

    public void Flush()
    {
        _out.Flush();
        _err.Flush();
    }

    public void Dispose() => Flush();
}
