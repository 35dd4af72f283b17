namespace Hearth.Store;

/// <summary>An embedded store serves one server, which is therefore always the leader.</summary>
public sealed class SingleServerLeader : ILeaderLock
{
    public bool IsLeader => true;

    public Task<bool> CheckAsync(CancellationToken ct) => Task.FromResult(true);
}
