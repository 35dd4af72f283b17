using Hearth.Store;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>
/// Who created the resource a route names; null when there is no such resource (the handler answers 404).
/// </summary>
public sealed class OwnerLookup(IRunStore runs, IAccessStore access, Store.Schedules.IScheduleStore schedules)
{
    public async Task<string?> OwnerOfAsync(Owned kind, string id, CancellationToken ct) =>
        kind switch
        {
            Owned.Run => (await runs.GetRunAsync(id, ct))?.CreatedBy,
            Owned.Secret => (await access.GetSecretAsync(id, ct))?.CreatedBy,
            Owned.Schedule => (await schedules.GetAsync(id, ct))?.CreatedBy,
            _ => null,
        };
}
