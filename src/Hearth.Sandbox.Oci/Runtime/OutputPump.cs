namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>Reads one stream line by line into the sandbox output, remembering the last few lines.</summary>
internal sealed class OutputPump
{
    private const int TailLines = 20;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();

    public OutputPump(StreamReader reader, OutputStream stream, ISandboxOutput output)
    {
        Completion = PumpAsync(reader, stream, output);
    }

    public Task Completion { get; }

    /// <summary>Characters read so far, newlines included (the runtime's pipes are read as text).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    private long _bytes;

    public string Tail
    {
        get
        {
            lock (_gate) return string.Join('\n', _tail);
        }
    }

    private async Task PumpAsync(StreamReader reader, OutputStream stream, ISandboxOutput output)
    {
        await Task.Yield();
        // Reads until the container's end of the pipe closes; the sandbox's lifetime, not a caller's token, bounds it.
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            Interlocked.Add(ref _bytes, line.Length + 1);
            lock (_gate)
            {
                _tail.Enqueue(line);
                if (_tail.Count > TailLines) _tail.Dequeue();
            }
            await output.WriteLineAsync(stream, line, CancellationToken.None);
        }
    }
}
