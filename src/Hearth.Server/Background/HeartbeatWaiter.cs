using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// A heartbeat renews the lease at once, then waits (up to the heartbeat interval) for a stop of that task,
/// so a kill reaches the agent within milliseconds without the agent beating any faster.
/// </summary>
public sealed class HeartbeatWaiter(IRunStore store, Signals signals, ServerOptions options, TimeProvider time)
{
    public async Task<HeartbeatResult> BeatAsync(string taskId, HeartbeatBody body, CancellationToken ct)
    {
        var stop = signals.Prepare(SignalKeys.Stop(taskId));
        var result = await store.HeartbeatAsync(taskId, body.Epoch, time.GetUtcNow(), options.LeaseTtl, ct);
        if (result.Status != WriteStatus.Accepted || result.Stop != StopReason.None || result.Ended)
            return result;
        var wait = TimeSpan.FromSeconds(Math.Clamp(body.WaitSeconds ?? 0, 0, options.HeartbeatInterval.TotalSeconds));
        if (wait <= TimeSpan.Zero)
            return result;
        try
        {
            await Signals.WaitAsync(stop, wait, time, ct);
        }
        catch (OperationCanceledException)
        {
            return result;
        }
        return await store.HeartbeatAsync(taskId, body.Epoch, time.GetUtcNow(), options.LeaseTtl, ct);
    }
}
