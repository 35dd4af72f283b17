using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Server.Secrets;
using Hearth.Store;

namespace Hearth.Server.Git;

/// <summary>
/// Decrypts a git workspace's credentials secret when its task is handed to an agent, for the checkout phase only
/// (HEARTH_GIT_CREDENTIALS in the lease's secret environment, masked in logs like any secret).
/// </summary>
public sealed class LeaseGit(SecretService secrets, LogMasks masks, IRunStore store, Signals signals, TimeProvider time, ILogger<LeaseGit> logger)
{
    public async Task<LeaseView?> AttachAsync(LeaseView lease, CancellationToken ct)
    {
        if (lease.Spec.Git?.Secret is not { } name) return lease;
        try
        {
            var values = (await secrets.ResolveAsync([name], ct)).Values.ToList();
            // One masker per task: it must keep masking the run's own secrets, attached to this lease just before.
            masks.Remember(lease.TaskId, [.. lease.SecretEnv?.Values ?? [], .. values]);
            var env = new Dictionary<string, string>(lease.SecretEnv ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [GitSource.CredentialsVariable] = values[0] };
            return lease with { SecretEnv = env };
        }
        catch (SecretUnavailableException e)
        {
            logger.LogWarning("task {Task}: git secret: {Error}; failing it", lease.TaskId, e.Message);
            await store.CompleteAsync(lease.TaskId, lease.Epoch, new TaskResult(null, Error: $"git_secret: {e.Message}"), time.GetUtcNow(), CancellationToken.None);
            signals.Pulse(SignalKeys.Run(lease.RunId));
            return null;
        }
    }
}
