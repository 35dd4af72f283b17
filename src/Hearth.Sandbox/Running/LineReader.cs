namespace Hearth.Sandbox.Running;

/// <summary>
/// Splits a byte stream read to its end into lines with a <see cref="PieceCutter"/>: a line longer than
/// <c>maxLineBytes</c> is delivered in pieces of at most that size (see the cutter for the rest of the rules).
/// </summary>
internal sealed class LineReader(Stream source, int maxLineBytes)
{
    public const int DefaultMaxLineBytes = 64 * 1024;

    public Task ReadAllAsync(Func<string, CancellationToken, ValueTask> onLine, CancellationToken cancellationToken) =>
        ReadAllAsync((line, _, ct) => onLine(line, ct), cancellationToken);

    /// <param name="onPiece">Gets each line, or piece of a long line with true when the next piece continues
    /// it.</param>
    public async Task ReadAllAsync(
        Func<string, bool, CancellationToken, ValueTask> onPiece,
        CancellationToken cancellationToken
    )
    {
        var cutter = new PieceCutter(OutputStream.Stdout, maxLineBytes, 0);
        var buffer = new byte[Math.Min(64 * 1024, maxLineBytes + 1)];
        var pieces = new List<OutputPiece>();
        while (true)
        {
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                cutter.End(pieces);
            else
                cutter.Feed(buffer.AsSpan(0, read), pieces);
            foreach (var piece in pieces)
            {
                await onPiece(piece.Text, piece.End == PieceEnd.Split, cancellationToken).ConfigureAwait(false);
            }
            pieces.Clear();
            if (read == 0)
                return;
        }
    }
}
