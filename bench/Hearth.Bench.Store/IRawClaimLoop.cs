namespace Hearth.Bench.Store;

/// <summary>
/// The physical floor: the fewest statements that make the same durable moves as the store (one transaction to take
/// the oldest pending task and bump its epoch, one to end it if the epoch still matches), on the same tables.
/// </summary>
public interface IRawClaimLoop
{
    /// <summary>Claims and completes tasks until none is pending; returns how many it did.</summary>
    Task<int> DrainAsync(CancellationToken ct);
}
