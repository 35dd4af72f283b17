using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// What a task leaves behind once its command has ended: the sandbox (cgroups, mounts, scratch directory) and the
/// workspace. Removed after the result is reported, so the run's end is not delayed by the clean-up.
/// </summary>
internal sealed class Teardown : IAsyncDisposable
{
    public ISandbox? Sandbox { get; set; }

    public Workspace? Workspace { get; set; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Sandbox is not null) await Sandbox.DisposeAsync();
        }
        finally
        {
            Workspace?.Dispose();
        }
    }
}
