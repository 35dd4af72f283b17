using System.Collections.Concurrent;
using Hearth.Core.Api;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// Answers an agent's long-poll: a lease as soon as a task it can run is pending, or nothing when the poll times out.
/// A lease granted while the agent hung up is given back at once rather than left to expire.
/// </summary>
public sealed class LeaseDispatcher(IRunStore store, Signals signals, WorkBoard board, ServerOptions options, TimeProvider time, HearthMetrics metrics,
    ILogger<LeaseDispatcher> logger)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, string> Labels, DateTimeOffset Touched)> _agents = new();

    private readonly ConcurrentDictionary<string, bool> _draining = new();

    /// <summary>
    /// A poll takes work only while it is younger than a quarter of the lease TTL, then ends empty (the agent polls again).
    /// Heartbeats follow each other without a pause and each leaves its lease at least half a TTL to live, so when an agent
    /// freezes, every lease it holds expires at least half a TTL after any poll it left open began: by then that poll
    /// has ended, and cannot take the task the rescue of that lease requeues (nor any other work).
    /// </summary>
    private TimeSpan MaxWait => options.LongPoll < options.LeaseTtl / 4 ? options.LongPoll : options.LeaseTtl / 4;

    /// <summary>The agent takes no more work: its poll in flight returns empty, now.</summary>
    public void Drain(string agentId)
    {
        _draining[agentId] = true;
        signals.Pulse(SignalKeys.Work);
    }

    public async Task<LeaseView?> WaitForLeaseAsync(LeaseBody body, CancellationToken ct)
    {
        var labels = await LabelsOfAsync(body.AgentId, ct);
        if (labels is null) return null;
        var wait = TimeSpan.FromSeconds(Math.Clamp(body.WaitSeconds ?? options.LongPoll.TotalSeconds, 0, MaxWait.TotalSeconds));
        var until = time.GetUtcNow() + wait;
        while (true)
        {
            var broadcast = signals.Prepare(SignalKeys.Work);
            var offered = board.Join(labels);
            if (_draining.ContainsKey(body.AgentId))
            {
                board.Leave(offered);
                return null;
            }
            var now = time.GetUtcNow();
            var lease = await store.ClaimAsync(new ClaimRequest(body.AgentId, labels, now, options.LeaseTtl), CancellationToken.None);
            if (lease is not null)
            {
                board.Leave(offered);
                if (ct.IsCancellationRequested)
                {
                    logger.LogInformation("agent {Agent} hung up while task {Task} was granted; giving it back", body.AgentId, lease.TaskId);
                    await store.ReleaseAsync(lease.TaskId, lease.Epoch, CancellationToken.None);
                    signals.Pulse(SignalKeys.Work);
                    return null;
                }
                metrics.LeasesGranted.Inc();
                signals.Pulse(SignalKeys.Run(lease.RunId));
                return new LeaseView(lease.TaskId, lease.RunId, lease.Epoch, lease.Attempt, lease.Spec, lease.ExpiresAt);
            }
            var left = until - now;
            if (left <= TimeSpan.Zero || ct.IsCancellationRequested)
            {
                board.Leave(offered);
                return null;
            }
            try
            {
                await Signals.WaitAsync(Task.WhenAny(broadcast, offered.Task), left < Recheck ? left : Recheck, time, ct);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            finally
            {
                board.Leave(offered);
            }
        }
    }

    private async Task<IReadOnlyDictionary<string, string>?> LabelsOfAsync(string agentId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_agents.TryGetValue(agentId, out var known) && now - known.Touched < TouchEvery) return known.Labels;
        var agent = (await store.ListAgentsAsync(ct)).FirstOrDefault(a => a.Id == agentId);
        if (agent is null) return null;
        await store.TouchAgentAsync(agentId, now, ct);
        _agents[agentId] = (agent.Labels, now);
        return agent.Labels;
    }
}
