using Hearth.Sandbox.Running;

namespace Hearth.Sandbox;

/// <summary>Settings shared by the drivers that start host processes.</summary>
public sealed class LauncherOptions
{
    /// <summary>POSIX shell used for the few-byte start gate (see docs/sandbox.md).</summary>
    public string ShellPath { get; init; } = "/bin/sh";

    /// <summary>Longer lines are delivered in pieces of this many bytes.</summary>
    public int MaxLineBytes { get; init; } = LineReader.DefaultMaxLineBytes;

    /// <summary>How long output may keep flowing after the command has exited and its tree was killed.</summary>
    public TimeSpan OutputDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
