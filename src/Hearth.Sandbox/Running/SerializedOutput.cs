namespace Hearth.Sandbox.Running;

/// <summary>
/// Hands pieces from both streams to the caller's <see cref="ISandboxOutput"/> one call at a time, so a sink
/// never sees concurrent calls. If the sink throws, later pieces are dropped (the bytes stay in the output files)
/// and the failure surfaces from WaitAsync.
/// </summary>
internal sealed class SerializedOutput(ISandboxOutput sink) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Exception? _failure;
    private long _delivered;

    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Pieces the sink has taken so far: whether a slow sink still makes progress.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public async ValueTask WriteAsync(OutputPiece piece, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is null)
            {
                await sink.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _delivered);
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
