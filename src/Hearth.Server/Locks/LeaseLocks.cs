using Hearth.Core.Api;
using Hearth.Core.Locks;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

/// <summary>Hands a lease the fencing tokens of the locks its task holds, as HEARTH_LOCK_TOKEN_NAME variables.</summary>
public sealed class LeaseLocks(ILockStore locks)
{
    public async Task<LeaseView> AttachAsync(LeaseView lease, CancellationToken ct)
    {
        if (lease.Spec.Lock is null) return lease;
        var tokens = await locks.TokensOfAsync(lease.TaskId, ct);
        if (tokens.Count == 0) return lease;
        var env = new Dictionary<string, string>(lease.Spec.Env, StringComparer.Ordinal);
        foreach (var (name, token) in tokens) env[LockNames.TokenVariable(name)] = token.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return lease with { Spec = lease.Spec with { Env = env } };
    }
}
