using System.Collections.Concurrent;

namespace Hearth.Sandbox.Oci.Tests.Support;

public sealed class CollectingOutput : ISandboxOutput
{
    public ConcurrentQueue<(OutputStream Stream, string Line)> Lines { get; } = new();

    public IEnumerable<string> Stdout => Lines.Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Line);

    public string Stderr => string.Join('\n', Lines.Where(l => l.Stream == OutputStream.Stderr).Select(l => l.Line));

    /// <summary>
    /// Waits until stdout has the line <paramref name="line"/>; fails after <paramref name="timeout"/>.
    /// </summary>
    public Task WaitForLineAsync(string line, TimeSpan timeout) =>
        Poll.UntilAsync(
            () => Stdout.Contains(line),
            timeout,
            $"stdout line '{line}' (got: {string.Join(" | ", Lines.Select(l => l.Line))})"
        );

    /// <summary>Waits until stdout has a line; fails after <paramref name="timeout"/>.</summary>
    public Task WaitForAnyLineAsync(TimeSpan timeout) => Poll.UntilAsync(() => Stdout.Any(), timeout, "a stdout line");

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
    {
        Lines.Enqueue((stream, line));
        return ValueTask.CompletedTask;
    }
}
