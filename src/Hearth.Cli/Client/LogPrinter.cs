using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.Cli.Client;

/// <summary>Writes log lines where they belong: stdout lines to stdout, stderr and Hearth's own lines to stderr.</summary>
public sealed class LogPrinter(OutputFormat format) : IDisposable
{
    private readonly StreamWriter _out = new(Console.OpenStandardOutput()) { AutoFlush = false };
    private readonly StreamWriter _err = new(Console.OpenStandardError()) { AutoFlush = false };

    public void Write(LogLineView line)
    {
        if (format == OutputFormat.Json)
        {
            _out.WriteLine(JsonSerializer.Serialize(line, HearthJson.Options));
            return;
        }
        switch (line.Stream)
        {
            case LogStream.Stdout: _out.WriteLine(line.Text); break;
            case LogStream.Stderr: _err.WriteLine(line.Text); break;
            default: _err.WriteLine(line.Text); break;
        }
    }

    public void Flush()
    {
        _out.Flush();
        _err.Flush();
    }

    public void Dispose() => Flush();
}
