using System.Text;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.Cli.Client;

/// <summary>
/// Writes log lines where they belong: stdout lines to stdout, stderr and Hearth's own lines to stderr.
/// </summary>
/// <param name="prefixSteps">Prefix each line of a workflow run with its step, as in "[1.0] ok".</param>
/// <param name="onlyStep">
/// The one step asked for (`logs --step`): its own lines need no prefix; a group's steps' lines do.
/// </param>
public sealed class LogPrinter(
    OutputFormat format,
    Stream stdout,
    Stream stderr,
    bool prefixSteps = false,
    string? onlyStep = null
) : IDisposable
{
    // 64 KiB buffers: a 10 MB log is a few hundred writes to the terminal or pipe, not ten thousand. Lines go out as
    // the UTF-8 bytes they came in as.
    private readonly Stream _out = new BufferedStream(stdout, 64 * 1024);
    private readonly Stream _err = new BufferedStream(stderr, 64 * 1024);
    private byte[] _scratch = new byte[1024];
    private string? _prefixStep;
    private byte[] _prefix = [];

    public LogPrinter(OutputFormat format, bool prefixSteps = false, string? onlyStep = null)
        : this(format, Console.OpenStandardOutput(), Console.OpenStandardError(), prefixSteps, onlyStep) { }

    public OutputFormat Format => format;

    public void Write(LogLineView line)
    {
        if (format == OutputFormat.Json)
        {
            JsonSerializer.Serialize(_out, line, CliJson.Options.TypeInfo<LogLineView>());
            _out.WriteByte((byte)'\n');
            return;
        }
        WriteText(line.Stream, Utf8(line.Text), line.Step);
    }

    /// <summary>The text form of a line whose text is UTF-8 already (a page read without making strings).</summary>
    public void WriteText(LogStream stream, ReadOnlySpan<byte> text, string? step)
    {
        var target = stream == LogStream.Stdout ? _out : _err;
        if (prefixSteps && step is not null && step != onlyStep)
        {
            // A step's lines come together: its prefix is encoded once per run of lines, not once per line.
            if (step != _prefixStep)
                (_prefixStep, _prefix) = (step, Encoding.UTF8.GetBytes($"[{step}] "));
            target.Write(_prefix);
        }
        target.Write(text);
        target.WriteByte((byte)'\n');
    }

    public void Flush()
    {
        _out.Flush();
        _err.Flush();
    }

    public void Dispose() => Flush();

    private ReadOnlySpan<byte> Utf8(string text)
    {
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_scratch.Length < most)
            _scratch = new byte[Math.Max(most, _scratch.Length * 2)];
        return _scratch.AsSpan(0, Encoding.UTF8.GetBytes(text, _scratch));
    }
}
