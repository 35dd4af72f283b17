namespace Hearth.Sandbox.Running;

/// <summary>
/// The host process at a sandbox's top: a child this agent spawned, or one an earlier agent left running.
/// </summary>
internal interface ISandboxProcess : IDisposable
{
    int Pid { get; }

    /// <summary>The exit code: 128 + N when killed by signal N.</summary>
    Task<int> Exited { get; }

    /// <summary>True once the process is gone: its pid may then belong to someone else.</summary>
    bool HasExited { get; }
}
