using Hearth.Core.Api;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

public static class LockViews
{
    public static LockView From(LockInfo info) =>
        new(
            info.Name,
            info.HolderRun,
            info.Since,
            info.Token,
            info.LeaseExpiresAt,
            info.Queue.Select((w, i) => new LockWaiterView(i + 1, w.RunId, w.QueuedAt, w.Deadline)).ToList()
        );
}
