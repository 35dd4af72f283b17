using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Server.Agents.Assignments;
using Hearth.Server.Api;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Server.Secrets;
using Hearth.Server.Telemetry;
using Hearth.Store;

namespace Hearth.Server.Agents;

/// <summary>
/// The agent protocol (version 2) behind its endpoints: register, lease (several tasks in one exchange), report
/// running, heartbeat, ship output, complete, drain. The endpoints bind, authorise and map; what each call does is
/// here. What an agent is handed is built by <see cref="AssignmentPipeline"/> from the stored task, never the stored
/// record itself.
/// </summary>
public sealed class AgentProtocol(
    IRunStore store,
    ServerOptions options,
    TimeProvider time,
    Signals signals,
    HearthMetrics metrics,
    LeaseDispatcher dispatcher,
    HeartbeatWaiter waiter,
    LogMasks masks,
    AssignmentPipeline pipeline,
    Store.Services.IServiceStore services
)
{
    /// <summary>The most slots one agent may have, and so ask to fill in one exchange.</summary>
    public const int MaxCapacity = 1024;

    public async Task<ProtocolResult<RegisterAgentView>> RegisterAsync(RegisterAgentBody request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
            return ProtocolResult<RegisterAgentView>.Invalid("name: required");
        if (request.Capacity is < 1 or > MaxCapacity)
            return ProtocolResult<RegisterAgentView>.Invalid($"capacity: must be between 1 and {MaxCapacity}");
        // The server names each agent in its labels, so a service replica's task can be pinned to the agent placed on.
        var labels = new Dictionary<string, string>(request.Labels ?? [], StringComparer.Ordinal)
        {
            [AgentLabels.Name] = request.Name,
        };
        var record = await store.RegisterAgentAsync(
            new AgentRegistration(
                request.Name,
                labels,
                request.Capacity,
                request.Version ?? "unknown",
                request.Drivers ?? []
            ),
            time.GetUtcNow(),
            ct
        );
        // Replicas waiting for an agent that fits are placed now rather than at the services' next sweep.
        signals.Pulse(SignalKeys.Agent(record.Id));
        return ProtocolResult<RegisterAgentView>.Ok(
            new RegisterAgentView(
                record.Id,
                options.LeaseTtl.TotalSeconds,
                options.HeartbeatInterval.TotalSeconds,
                options.LongPoll.TotalSeconds
            )
        );
    }

    /// <summary>
    /// A long-poll for up to <see cref="LeaseRequest.Slots"/> tasks (capped at the agent's capacity); what the agent
    /// hung up on (<paramref name="aborted"/>) is given back. Tasks whose assignment failed are not in the answer.
    /// </summary>
    public async Task<ProtocolResult<LeaseAnswer>> LeaseAsync(LeaseRequest request, CancellationToken aborted)
    {
        if (string.IsNullOrWhiteSpace(request.AgentId))
            return ProtocolResult<LeaseAnswer>.Invalid("agent_id: required");
        if (request.Slots is < 1 or > MaxCapacity)
            return ProtocolResult<LeaseAnswer>.Invalid($"slots: must be between 1 and {MaxCapacity}");
        IReadOnlyList<Lease> leases;
        try
        {
            leases = await dispatcher.WaitForLeasesAsync(request.AgentId, request.Slots, request.WaitSeconds, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The agent hung up before anything was claimed: nothing to hand out, nothing to give back.
            return ProtocolResult<LeaseAnswer>.Ok(new LeaseAnswer([]));
        }
        var assignments = new List<Assignment>(leases.Count);
        foreach (var lease in leases)
        {
            if (await pipeline.CompleteAsync(lease, CancellationToken.None) is { } assignment)
                assignments.Add(assignment);
        }
        var prewarm = aborted.IsCancellationRequested
            ? []
            : await dispatcher.TakePrewarmHintsAsync(request.AgentId, CancellationToken.None);
        return ProtocolResult<LeaseAnswer>.Ok(
            new LeaseAnswer(assignments) { Prewarm = prewarm.Count > 0 ? prewarm : null }
        );
    }

    public async Task<ProtocolResult<EmptyView>> DrainAsync(AgentRef request, CancellationToken ct) =>
        await dispatcher.DrainAsync(request.AgentId, ct)
            ? ProtocolResult<EmptyView>.Ok(EmptyView.Instance)
            : ProtocolResult<EmptyView>.NotFound($"agent {request.AgentId} is not registered");

    public async Task<ProtocolResult<EmptyView>> MarkRunningAsync(
        string taskId,
        RunningBody request,
        CancellationToken ct
    )
    {
        var startedAt = AgentClock.StartedAt(request.StartedAt, time.GetUtcNow(), options.LeaseTtl);
        var result = await store.MarkRunningAsync(taskId, request.Epoch, startedAt, ct);
        if (result is { Status: WriteStatus.Accepted, RunId: { } runId })
            signals.Pulse(SignalKeys.Run(runId));
        // A service replica's addresses on its project's networks: the agents' DNS answers with them.
        if (result.Status == WriteStatus.Accepted && request.Addresses is { Count: > 0 } addresses)
            await services.RecordAddressesAsync(taskId, addresses, time.GetUtcNow(), ct);
        return Written(result.Status, EmptyView.Instance, "running");
    }

    public async Task<ProtocolResult<HeartbeatView>> HeartbeatAsync(
        string taskId,
        HeartbeatBody request,
        CancellationToken ct
    )
    {
        var result = await waiter.BeatAsync(taskId, request, ct);
        return Written(result.Status, new HeartbeatView(result.Stop, result.ExpiresAt, result.Ended), "heartbeat");
    }

    /// <summary>Masks the lines (with the task's own secrets) and appends them at their offset.</summary>
    public async Task<ProtocolResult<LogChunkView>> AppendLogsAsync(
        string taskId,
        LogChunkBody chunk,
        CancellationToken ct
    )
    {
        if (chunk.Offset < 0)
            return ProtocolResult<LogChunkView>.Invalid("offset: must be 0 or more");
        var lines = await masks.MaskAsync(taskId, chunk.Lines ?? [], ct);
        var result = await store.AppendLogsAsync(taskId, chunk.Epoch, chunk.Offset, lines, ct);
        if (result.Gap)
            return ProtocolResult<LogChunkView>.Gap(result.NextOffset);
        if (result is { Status: WriteStatus.Accepted, RunId: { } runId })
        {
            signals.Pulse(SignalKeys.Lines(runId));
            metrics.LogsStored(lines.Count, LogBytes(lines));
        }
        return Written(result.Status, new LogChunkView(result.NextOffset), "logs");
    }

    /// <summary>
    /// The attempt's result, applied with its unshipped lines in one transaction; with <see cref="CompleteBody.Next"/>,
    /// the slot's next task is claimed in that transaction and assigned in the answer (given back if the agent hung
    /// up).
    /// </summary>
    public async Task<ProtocolResult<CompleteView>> CompleteAsync(
        string taskId,
        CompleteBody request,
        CancellationToken aborted,
        CancellationToken ct
    )
    {
        if (request.LogOffset < 0)
            return ProtocolResult<CompleteView>.Invalid("log_offset: must be 0 or more");
        var now = time.GetUtcNow();
        var completion = new Completion(
            new TaskResult(request.ExitCode, request.OomKilled, await masks.MaskTextAsync(taskId, request.Error, ct)),
            AgentTime(request.StartedAt, now),
            request.LogOffset,
            request.Lines is { Count: > 0 } lines ? await masks.MaskAsync(taskId, lines, ct) : null
        )
        {
            FirstOutputAt = AgentTime(request.FirstOutputAt, now),
            ExitedAt = AgentTime(request.ExitedAt, now),
        };
        using var span = Telemetry.ServerActivities.Source.StartActivity("task.complete");
        span?.SetTag("hearth.task_id", taskId);
        span?.SetTag("hearth.exit_code", request.ExitCode);
        var claim = request.Next is { } next ? await dispatcher.NextClaimAsync(next.AgentId, ct) : null;
        var (result, granted) = claim is null
            ? (await store.CompleteAsync(taskId, request.Epoch, completion, now, ct), null)
            : await store.CompleteAndClaimAsync(taskId, request.Epoch, completion, now, claim, ct);
        if (result.LogGapAt is { } expected)
            return ProtocolResult<CompleteView>.Gap(expected);
        if (result.Status == WriteStatus.Accepted)
        {
            metrics.TaskCompleted();
            if (completion.Lines is { Count: > 0 } stored)
                metrics.LogsStored(stored.Count, LogBytes(stored));
            if (result.RunId is { } runId)
                signals.Pulse(SignalKeys.Run(runId));
            // Its end freed a lock, queued the next steps or requeued the task: only then is there new work for every
            // poll to look at.
            if (result.FreedLock)
                signals.Pulse(SignalKeys.Work);
        }
        Assignment? nextAssignment = null;
        if (granted is not null)
        {
            if (aborted.IsCancellationRequested)
                await dispatcher.GiveBackAsync(claim!.AgentId, granted);
            else
            {
                dispatcher.Granted(granted);
                nextAssignment = await pipeline.CompleteAsync(granted, CancellationToken.None);
            }
        }
        return Written(result.Status, new CompleteView(nextAssignment), "complete");
    }

    private static long LogBytes(IReadOnlyList<Core.Logs.AgentLogLine> lines)
    {
        long bytes = 0;
        foreach (var line in lines)
            bytes += System.Text.Encoding.UTF8.GetByteCount(line.Text);
        return bytes;
    }

    private DateTimeOffset? AgentTime(DateTimeOffset? reported, DateTimeOffset now) =>
        reported is null ? null : AgentClock.StartedAt(reported, now, options.LeaseTtl);

    private ProtocolResult<T> Written<T>(WriteStatus status, T body, string call)
    {
        if (status == WriteStatus.Stale)
            metrics.StaleWrite(call);
        return status switch
        {
            WriteStatus.Accepted => ProtocolResult<T>.Ok(body),
            WriteStatus.Stale => ProtocolResult<T>.Stale(),
            _ => ProtocolResult<T>.NotFound(),
        };
    }
}
