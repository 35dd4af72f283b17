namespace Hearth.Sandbox;

public enum OutputStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>Why a piece of output ended where it did.</summary>
public enum PieceEnd
{
    /// <summary>At a newline (not included in the text).</summary>
    Newline,

    /// <summary>At the driver's line limit (64 KiB): the next piece of the stream continues the same line.</summary>
    Split,

    /// <summary>
    /// The stream went quiet in the middle of a line (a progress bar's <c>\r50%</c>): delivered now rather than
    /// when the line ends; the next piece continues it.
    /// </summary>
    Idle,

    /// <summary>The stream ended without a final newline.</summary>
    End,
}

/// <summary>
/// A piece of a stream cut for display: its text (invalid UTF-8 as U+FFFD, a "\r" before "\n" dropped), why it ended
/// and the byte offset in the stream just after it (the newline included), so a consumer can note how far it got.
/// </summary>
public readonly record struct OutputPiece(OutputStream Stream, string Text, PieceEnd End, long EndOffset);

/// <summary>
/// Receives a sandbox's output cut into lines. The bytes themselves stay in the sandbox's output files
/// (<see cref="ISandbox.ReadOutputAsync"/>); these are for display and the log.
/// </summary>
public interface ISandboxOutput
{
    ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken);

    /// <summary>
    /// A line or, for a line longer than the driver's limit (64 KiB), one piece of it: <paramref name="continues"/>
    /// says the next piece of the same stream continues this line. By default pieces arrive as lines.
    /// </summary>
    ValueTask WritePieceAsync(OutputStream stream, string piece, bool continues, CancellationToken cancellationToken) =>
        WriteLineAsync(stream, piece, cancellationToken);

    /// <summary>
    /// Every piece the driver cuts, with its end offset. By default: a split line as pieces, the rest as lines.
    /// </summary>
    ValueTask WriteAsync(OutputPiece piece, CancellationToken cancellationToken) =>
        WritePieceAsync(piece.Stream, piece.Text, piece.End == PieceEnd.Split, cancellationToken);
}
