namespace Hearth.Core.Lifecycle;

/// <summary>
/// The lifecycle's decisions: a pure function from a snapshot and what happened to the transitions to make. The
/// store calls it inside the transaction that read the snapshot and applies its plan there; it decides nothing itself.
/// </summary>
public interface ILifecycleRules
{
    LifecyclePlan Decide(LifecycleSnapshot snapshot, LifecycleEvent happened);
}
