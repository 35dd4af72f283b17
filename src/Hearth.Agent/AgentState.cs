using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// The agent's hold on its state directory: a lock file held open while it runs (released by the kernel when the
/// process dies, even by SIGKILL), so two live agents never take up the same sandboxes. An agent that finds the
/// directory held runs on a private one instead, and says so.
/// </summary>
internal sealed class AgentState : IDisposable
{
    private readonly FileStream _lock;
    private readonly bool _private;

    private AgentState(string directory, FileStream held, bool isPrivate)
    {
        Directory = directory;
        _lock = held;
        _private = isPrivate;
    }

    public string Directory { get; }

    public static AgentState Take(AgentOptions options, ILogger logger)
    {
        if (options.StateDirectory is { } wanted)
        {
            System.IO.Directory.CreateDirectory(wanted);
            try
            {
                return new AgentState(wanted, Lock(wanted), isPrivate: false);
            }
            catch (IOException)
            {
                logger.LogWarning(
                    "state directory {Directory} is held by another running agent; this one's sandboxes will not be "
                        + "recovered after a restart (give it --state-dir of its own)",
                    wanted
                );
            }
        }
        var own = Path.Combine(Path.GetTempPath(), $"hearth-agent-state-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(own);
        return new AgentState(own, Lock(own), isPrivate: true);
    }

    // FileShare.None is an exclusive flock on Unix: a second opener fails at once.
    private static FileStream Lock(string directory) =>
        new(Path.Combine(directory, "agent.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    public void Dispose()
    {
        _lock.Dispose();
        if (!_private)
            return;
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // sandboxes of a private directory are not recoverable anyway
        }
    }
}
