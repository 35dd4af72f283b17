namespace Hearth.Sandbox;

public enum OutputStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>Receives the sandbox's output one line at a time (without the line terminator).</summary>
public interface ISandboxOutput
{
    ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken);

    /// <summary>
    /// A line or, for a line longer than the driver's limit (64 KiB), one piece of it: <paramref name="continues"/> says
    /// the next piece of the same stream continues this line. By default pieces arrive as lines.
    /// </summary>
    ValueTask WritePieceAsync(OutputStream stream, string piece, bool continues, CancellationToken cancellationToken) =>
        WriteLineAsync(stream, piece, cancellationToken);
}
