using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// The clean-up phase: what a task leaves behind once its command has ended: the sandbox (cgroups, mounts, scratch
/// directory, output files), its record in the state directory and the workspace. Removed after the result is
/// reported, so the run's end is not delayed by the clean-up; runs whatever happened before it.
/// </summary>
internal sealed class Teardown(RecordKeeper keeper) : IAsyncDisposable
{
    public ISandbox? Sandbox { get; set; }

    public Workspace? Workspace { get; set; }

    /// <summary>A service replica's DNS membership and names polling, ended once its sandbox is gone.</summary>
    public Services.ServiceRuntime.Replica? Replica { get; set; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Sandbox is not null)
                await Sandbox.DestroyAsync();
            keeper.Forget();
        }
        finally
        {
            Workspace?.Dispose();
            if (Replica is not null)
                await Replica.DisposeAsync();
        }
    }
}
