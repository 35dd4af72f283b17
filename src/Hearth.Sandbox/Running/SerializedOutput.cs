namespace Hearth.Sandbox.Running;

/// <summary>
/// Hands lines from both streams to the caller's <see cref="ISandboxOutput"/> one call at a time, so a sink
/// never sees concurrent calls. If the sink throws, later lines are dropped (the pipes are still drained
/// so the command never blocks) and the failure surfaces from WaitAsync.
/// </summary>
internal sealed class SerializedOutput(ISandboxOutput sink) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Exception? _failure;

    public Exception? Failure => Volatile.Read(ref _failure);

    public async ValueTask WriteLineAsync(OutputStream stream, string line, bool continues, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is null)
            {
                await sink.WritePieceAsync(stream, line, continues, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _failure = e;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
