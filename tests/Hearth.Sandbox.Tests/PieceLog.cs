namespace Hearth.Sandbox.Tests;

/// <summary>
/// Records every piece of output as delivered (stream, text, end, offset); linked into the oci tests.
/// </summary>
internal sealed class PieceLog : ISandboxOutput
{
    private readonly List<OutputPiece> _pieces = [];

    public IReadOnlyList<OutputPiece> Pieces
    {
        get
        {
            lock (_pieces)
                return _pieces.ToList();
        }
    }

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        WriteAsync(new OutputPiece(stream, line, PieceEnd.Newline, -1), cancellationToken);

    public ValueTask WriteAsync(OutputPiece piece, CancellationToken cancellationToken)
    {
        lock (_pieces)
            _pieces.Add(piece);
        return ValueTask.CompletedTask;
    }
}
