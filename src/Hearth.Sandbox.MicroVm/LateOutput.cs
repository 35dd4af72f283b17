namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The output sink of a warm pool's VM, which boots before its task (and the task's sink) is known: what the command
/// writes goes to the sink attached when the VM is taken. Nothing is written before: the command starts after that.
/// </summary>
internal sealed class LateOutput : ISandboxOutput
{
    private ISandboxOutput? _target;

    public void Attach(ISandboxOutput target) => Volatile.Write(ref _target, target);

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        Volatile.Read(ref _target)?.WriteLineAsync(stream, line, cancellationToken) ?? ValueTask.CompletedTask;

    public ValueTask WritePieceAsync(
        OutputStream stream,
        string piece,
        bool continues,
        CancellationToken cancellationToken
    ) =>
        Volatile.Read(ref _target)?.WritePieceAsync(stream, piece, continues, cancellationToken)
        ?? ValueTask.CompletedTask;

    public ValueTask WriteAsync(OutputPiece piece, CancellationToken cancellationToken) =>
        Volatile.Read(ref _target)?.WriteAsync(piece, cancellationToken) ?? ValueTask.CompletedTask;
}
