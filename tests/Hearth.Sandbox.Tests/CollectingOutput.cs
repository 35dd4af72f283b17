using Hearth.Sandbox;

namespace Hearth.Sandbox.Tests;

/// <summary>Records every line with its stream, and lets a test wait for a line to appear.</summary>
internal sealed class CollectingOutput : ISandboxOutput
{
    private readonly object _gate = new();
    private readonly List<(OutputStream Stream, string Line)> _lines = [];
    private int _concurrent;

    public bool SawConcurrentCalls { get; private set; }

    public async ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _concurrent) > 1)
        {
            SawConcurrentCalls = true;
        }
        await Task.Yield();
        lock (_gate)
        {
            _lines.Add((stream, line));
        }
        Interlocked.Decrement(ref _concurrent);
    }

    public IReadOnlyList<(OutputStream Stream, string Line)> Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToList();
            }
        }
    }

    public IReadOnlyList<string> Of(OutputStream stream) =>
        Lines.Where(l => l.Stream == stream).Select(l => l.Line).ToList();

    public string Stdout => string.Join('\n', Of(OutputStream.Stdout));

    public string Stderr => string.Join('\n', Of(OutputStream.Stderr));

    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(l => l.Line == line))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"no line '{line}' within {timeout}; got: {string.Join(" | ", Lines.Select(l => l.Line))}"
                );
            }
            await Task.Delay(10);
        }
    }
}
