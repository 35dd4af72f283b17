using System.Collections.Concurrent;

namespace Hearth.Sandbox.Oci.Tests.Support;

public sealed class CollectingOutput : ISandboxOutput
{
    public ConcurrentQueue<(OutputStream Stream, string Line)> Lines { get; } = new();

    public IEnumerable<string> Stdout => Lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Line);

    public string Stderr => string.Join('\n', Lines.Where(l => l.Stream == OutputStream.Stderr).Select(l => l.Line));

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
    {
        Lines.Enqueue((stream, line));
        return ValueTask.CompletedTask;
    }
}
