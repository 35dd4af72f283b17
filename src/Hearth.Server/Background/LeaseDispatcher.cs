using System.Collections.Concurrent;
using Hearth.Core.Api;
using Hearth.Server.Configuration;
using Hearth.Server.Telemetry;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// Answers an agent's long-poll: a lease as soon as a task it can run is pending, or nothing when the poll times out.
/// A lease granted while the agent hung up is given back at once rather than left to expire.
/// </summary>
public sealed class LeaseDispatcher(
    IRunStore store,
    Signals signals,
    WorkBoard board,
    ServerOptions options,
    TimeProvider time,
    HearthMetrics metrics,
    ILogger<LeaseDispatcher> logger,
    Agents.PrewarmHints prewarm
)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (AgentRecord Agent, DateTimeOffset Touched)> _agents = new();

    /// <summary>
    /// A poll takes work only while it is younger than a quarter of the lease TTL, then ends empty (the agent polls
    /// again). Heartbeats follow each other without a pause and each leaves its lease at least half a TTL to live, so
    /// when an agent freezes, every lease it holds expires at least half a TTL after any poll it left open began: by
    /// then that poll has ended, and cannot take the task the rescue of that lease requeues (nor any other work).
    /// </summary>
    private TimeSpan MaxWait => options.LongPoll < options.LeaseTtl / 4 ? options.LongPoll : options.LeaseTtl / 4;

    /// <summary>
    /// The agent takes no more work, from any server: its poll in flight returns empty, now. False for an unknown
    /// agent.
    /// </summary>
    public async Task<bool> DrainAsync(string agentId, CancellationToken ct)
    {
        if (!await store.DrainAgentAsync(agentId, time.GetUtcNow(), ct))
            return false;
        _agents.TryRemove(agentId, out _);
        signals.Pulse(SignalKeys.Agent(agentId));
        return true;
    }

    /// <summary>
    /// Up to <paramref name="slots"/> leases (never more than the agent's capacity): waits for the first, then takes
    /// what else is claimable now, each in its own claim. Empty when the poll ended without work, the agent is unknown
    /// or draining.
    /// </summary>
    public async Task<IReadOnlyList<Lease>> WaitForLeasesAsync(
        string agentId,
        int slots,
        double? waitSeconds,
        CancellationToken ct
    )
    {
        var wait = TimeSpan.FromSeconds(
            Math.Clamp(waitSeconds ?? options.LongPoll.TotalSeconds, 0, MaxWait.TotalSeconds)
        );
        var until = time.GetUtcNow() + wait;
        while (true)
        {
            var broadcast = signals.Prepare(SignalKeys.Work);
            var agentChanged = signals.Prepare(SignalKeys.Agent(agentId));
            var agent = await AgentAsync(agentId, ct);
            if (agent is null || agent.DrainingSince is not null)
                return [];
            var offered = board.Join(agent.Labels);
            var now = time.GetUtcNow();
            var lease = await store.ClaimAsync(
                new ClaimRequest(agentId, agent.Labels, now, options.LeaseTtl),
                CancellationToken.None
            );
            if (lease is not null)
            {
                board.Leave(offered);
                return await MoreAsync(agent, lease, Math.Min(slots, agent.Capacity), ct);
            }
            var left = until - now;
            // A prewarm hint for this agent ends the poll: its answer carries it (AgentProtocol.LeaseAsync).
            if (left <= TimeSpan.Zero || ct.IsCancellationRequested || prewarm.AnyFor(agent.Labels))
            {
                board.Leave(offered);
                return [];
            }
            try
            {
                await Signals.WaitAsync(
                    Task.WhenAny(broadcast, offered.Task, agentChanged),
                    left < Recheck ? left : Recheck,
                    time,
                    ct
                );
                if (agentChanged.IsCompleted)
                    _agents.TryRemove(agentId, out _);
            }
            catch (OperationCanceledException)
            {
                return [];
            }
            finally
            {
                board.Leave(offered);
            }
        }
    }

    /// <summary>
    /// The prewarm hints waiting for the agent (taken: no other agent gets them); empty for an unknown agent.
    /// </summary>
    public async Task<IReadOnlyList<PrewarmHint>> TakePrewarmHintsAsync(string agentId, CancellationToken ct) =>
        await AgentAsync(agentId, ct) is { DrainingSince: null } agent ? prewarm.TakeFor(agent.Labels) : [];

    /// <summary>
    /// The first lease and what else is claimable now, up to <paramref name="slots"/>; all given back when the agent
    /// hung up meanwhile.
    /// </summary>
    private async Task<IReadOnlyList<Lease>> MoreAsync(AgentRecord agent, Lease first, int slots, CancellationToken ct)
    {
        var leases = new List<Lease> { first };
        while (leases.Count < slots && !ct.IsCancellationRequested)
        {
            var more = await store.ClaimAsync(
                new ClaimRequest(agent.Id, agent.Labels, time.GetUtcNow(), options.LeaseTtl),
                CancellationToken.None
            );
            if (more is null)
                break;
            leases.Add(more);
        }
        if (ct.IsCancellationRequested)
        {
            foreach (var lease in leases)
                await GiveBackAsync(agent.Id, lease);
            return [];
        }
        foreach (var lease in leases)
            Granted(lease);
        return leases;
    }

    /// <summary>
    /// The claim for an agent's next task made inside its last result's transaction, without waiting; null when the
    /// agent is unknown or draining.
    /// </summary>
    public async Task<ClaimRequest?> NextClaimAsync(string agentId, CancellationToken ct)
    {
        var agent = await AgentAsync(agentId, ct);
        return agent is null || agent.DrainingSince is not null
            ? null
            : new ClaimRequest(agentId, agent.Labels, time.GetUtcNow(), options.LeaseTtl);
    }

    /// <summary>
    /// A lease a claim took is on its way to its agent: counted, and the run's watchers see it leased.
    /// </summary>
    public void Granted(Lease lease)
    {
        metrics.LeaseGranted();
        // The grant joins the trace of the request that created the task.
        if (
            lease.Spec.TraceParent is { } traceParent
            && System.Diagnostics.ActivityContext.TryParse(traceParent, null, out var parent)
        )
        {
            using var span = ServerActivities.Source.StartActivity(
                "task.lease",
                System.Diagnostics.ActivityKind.Internal,
                parent
            );
            span?.SetTag("hearth.task_id", lease.TaskId);
        }
        signals.Pulse(SignalKeys.Run(lease.RunId));
    }

    /// <summary>
    /// Returns a lease whose agent hung up before it could receive it, rather than leaving it to expire.
    /// </summary>
    public async Task GiveBackAsync(string agentId, Lease lease)
    {
        logger.LogInformation(
            "agent {Agent} hung up while task {Task} was granted; giving it back",
            agentId,
            lease.TaskId
        );
        await store.ReleaseAsync(lease.TaskId, lease.Epoch, CancellationToken.None);
        signals.Pulse(SignalKeys.Work);
    }

    /// <summary>
    /// The agent as the store has it, read again at least every <see cref="TouchEvery"/> (and at once when any server
    /// announces a change of it, such as a drain); each read also records that the agent was seen.
    /// </summary>
    private async Task<AgentRecord?> AgentAsync(string agentId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_agents.TryGetValue(agentId, out var known) && now - known.Touched < TouchEvery)
            return known.Agent;
        var agent = (await store.ListAgentsAsync(ct)).FirstOrDefault(a => a.Id == agentId);
        if (agent is null)
            return null;
        await store.TouchAgentAsync(agentId, now, ct);
        _agents[agentId] = (agent, now);
        return agent;
    }
}
