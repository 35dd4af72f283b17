using Hearth.Core.Api;
using Hearth.Core.Locks;

namespace Hearth.Server.Api;

/// <summary>The lock fields of a run request.</summary>
public static class LockRequestValidator
{
    public static LockRequest? Validate(CreateRunBody body, List<string> errors)
    {
        if (body.Lock is null)
        {
            if (body.LockWaitSeconds is not null)
                errors.Add("lock_wait_seconds: only with lock");
            if (body.NoWait)
                errors.Add("no_wait: only with lock");
            return null;
        }
        if (!LockNames.IsValid(body.Lock))
            errors.Add($"lock: {Hearth.Core.Names.Names.Lock.Problem(body.Lock)}");
        if (body.LockWaitSeconds is { } wait && !(wait > 0 && wait <= RunRequestValidator.MaxTimeoutSeconds))
            errors.Add(
                $"lock_wait_seconds: must be above 0 and at most {RunRequestValidator.MaxTimeoutSeconds} (30 days)"
            );
        if (body.LockWaitSeconds is not null && body.NoWait)
            errors.Add("no_wait: not with lock_wait_seconds (choose one)");
        var waitFor =
            body.LockWaitSeconds is { } s && s > 0 && s <= RunRequestValidator.MaxTimeoutSeconds
                ? TimeSpan.FromSeconds(s)
                : (TimeSpan?)null;
        return new LockRequest(body.Lock, waitFor, body.NoWait);
    }
}
