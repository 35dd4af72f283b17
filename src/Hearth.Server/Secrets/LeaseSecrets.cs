using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server.Secrets;

/// <summary>
/// The one place secrets are decrypted for a run: when its task is handed to an agent. The values ride in the lease
/// answer only. A secret that is gone by then fails the task with a reason instead of running it without it.
/// </summary>
public sealed class LeaseSecrets(SecretService secrets, LogMasks masks, IRunStore store, Signals signals, TimeProvider time, ILogger<LeaseSecrets> logger)
{
    public async Task<LeaseView?> AttachAsync(LeaseView lease, CancellationToken ct)
    {
        if (lease.Spec.Secrets.Count == 0) return lease;
        try
        {
            var env = await secrets.ResolveAsync(lease.Spec.Secrets, ct);
            masks.Remember(lease.TaskId, env.Values);
            return lease with { SecretEnv = env };
        }
        catch (SecretUnavailableException e)
        {
            logger.LogWarning("task {Task}: {Error}; failing it", lease.TaskId, e.Message);
            await store.CompleteAsync(lease.TaskId, lease.Epoch, new TaskResult(null, Error: e.Message), time.GetUtcNow(), CancellationToken.None);
            signals.Pulse(SignalKeys.Run(lease.RunId));
            return null;
        }
    }
}
