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
}
