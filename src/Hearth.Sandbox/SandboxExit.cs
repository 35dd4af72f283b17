namespace Hearth.Sandbox;

/// <summary>How the command ended.</summary>
/// <param name="ExitCode">The exit code; 128+N when killed by signal N (shell convention).</param>
/// <param name="Signal">The terminating signal, if any.</param>
/// <param name="OomKilled">True when the kernel's OOM killer ended it inside its memory limit.</param>
public sealed record SandboxExit(int ExitCode, int? Signal = null, bool OomKilled = false);
