using Hearth.Sandbox.Running;

namespace Hearth.Sandbox;

/// <summary>Settings shared by the drivers that start host processes.</summary>
public sealed class LauncherOptions
{
    /// <summary>POSIX shell used for the few-byte start gate (see docs/sandbox.md).</summary>
    public string ShellPath { get; init; } = "/bin/sh";

    /// <summary>Longer lines are delivered in pieces of this many bytes.</summary>
    public int MaxLineBytes { get; init; } = LineReader.DefaultMaxLineBytes;

    /// <summary>
    /// After the command has exited and its tree was killed: how long its processes may take to go, and how long the
    /// output sink may take no piece at all before the rest of the output is left undelivered (a sink that keeps taking
    /// pieces is waited for).
    /// </summary>
    public TimeSpan OutputDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
