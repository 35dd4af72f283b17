namespace Hearth.Core.Runs;

/// <summary>What an agent reports when a sandbox is gone.</summary>
/// <param name="ExitCode">The command's exit code, 128+signal when killed; null when it never started.</param>
/// <param name="OomKilled">The kernel killed it at its memory limit.</param>
/// <param name="Error">Why the sandbox failed to start or run, when it did.</param>
public sealed record TaskResult(int? ExitCode, bool OomKilled = false, string? Error = null);
