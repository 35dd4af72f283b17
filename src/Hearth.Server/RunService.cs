using System.Diagnostics;
using Hearth.Core;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Server.Creation;
using Hearth.Server.Telemetry;
using Hearth.Store;

namespace Hearth.Server;

/// <summary>
/// Accepts runs and stops them; the one place the API, and later workflows and cron, create work through.
/// </summary>
public sealed class RunService(
    IRunStore store,
    Signals signals,
    WorkBoard board,
    TimeProvider time,
    IdGenerator ids,
    HearthMetrics metrics,
    DeliveryWriter deliveries
)
{
    public const string CommandKind = "command";

    /// <summary>
    /// The one creation path: stores the run and its tasks in one transaction (under its idempotency key, if any), then
    /// wakes an agent that can take its first tasks. A key seen before returns the run it created, without writing.
    /// </summary>
    /// <exception cref="IdempotencyKeyReusedException">The key was used before for another request.</exception>
    public async Task<RunCreation> CreateAsync(RunDraft draft, CancellationToken ct)
    {
        var run = NewRun(draft);
        using var span = ServerActivities.Source.StartActivity("run.create");
        span?.SetTag("hearth.run_id", run.Id);
        span?.SetTag("hearth.run_kind", run.Kind);
        var tasks = draft.Tasks(run.Id);
        // The creating request's trace goes with each task to the agent that runs it.
        if (Activity.Current?.Id is { } traceParent && Activity.Current.IdFormat == ActivityIdFormat.W3C)
            tasks = [.. tasks.Select(t => t with { Spec = t.Spec with { TraceParent = traceParent } })];
        var created = await store.CreateRunAsync(run, tasks, draft.Key, ct);
        if (!created.Created)
        {
            if (!created.SameRequest)
                throw new IdempotencyKeyReusedException(draft.Key!.Key, created.RunId);
            return new RunCreation((await store.GetRunAsync(created.RunId, ct))!, Replayed: true);
        }
        metrics.RunCreated(run.Kind);
        foreach (var task in tasks.Where(t => t.InitialState == TaskState.Pending))
            board.Offer(task.Spec.Requirements);
        signals.PulseElsewhere(SignalKeys.Work);
        return new RunCreation((await store.GetRunAsync(run.Id, ct))!, Replayed: false);
    }

    /// <summary>
    /// Records a webhook delivery and creates the runs it starts in one transaction (each under its idempotency key),
    /// then wakes agents for the new runs. A delivery seen before writes nothing and names the runs it started then.
    /// The transaction is shared with the deliveries queued at the same time (<see cref="DeliveryWriter"/>); this
    /// returns once it is committed.
    /// </summary>
    /// <exception cref="ServerStoppingException">The server is shutting down.</exception>
    public async Task<DeliveryResult> CreateForDeliveryAsync(
        WebhookDelivery delivery,
        IReadOnlyList<RunDraft> drafts,
        CancellationToken ct
    )
    {
        var runs = drafts
            .Select(draft =>
            {
                var run = NewRun(draft);
                return new DeliveryRun(run, draft.Tasks(run.Id), draft.Key!);
            })
            .ToList();
        var result = await deliveries.WriteAsync(delivery, runs);
        if (!result.Recorded)
            return result;
        foreach (var (run, tasks, _) in runs.Where(r => result.RunIds.Contains(r.Run.Id)))
        {
            metrics.RunCreated(run.Kind);
            foreach (var task in tasks.Where(t => t.InitialState == TaskState.Pending))
                board.Offer(task.Spec.Requirements);
        }
        if (runs.Count > 0)
            signals.PulseElsewhere(SignalKeys.Work);
        return result;
    }

    private Run NewRun(RunDraft draft) =>
        new()
        {
            Id = ids.Next(),
            Kind = draft.Kind,
            State = RunState.Starting,
            CreatedAt = time.GetUtcNow(),
            Spec = draft.Spec,
            CreatedBy = draft.CreatedBy,
            Plan = draft.Plan,
        };

    public Task<RunCreation> CreateCommandRunAsync(
        TaskSpec spec,
        int maxAttempts,
        string? createdBy,
        IdempotencyKey? key,
        CancellationToken ct
    ) =>
        CreateAsync(
            new RunDraft(CommandKind, spec, createdBy, id =>
                [new NewTask(TaskIds.ForCommand(id), "main", spec, maxAttempts)]
            )
            {
                Key = key,
            },
            ct
        );

    /// <param name="by">Who asked (named in the run's reason); null when Hearth itself stops it (a timeout).</param>
    public async Task<Run?> StopAsync(string runId, StopReason reason, CancellationToken ct, string? by = null)
    {
        var run = await store.RequestStopAsync(runId, reason, time.GetUtcNow(), ct, by);
        if (run is null)
            return null;
        foreach (var task in run.Tasks)
            signals.Pulse(SignalKeys.Stop(task.Id));
        signals.Pulse(SignalKeys.Work);
        signals.Pulse(SignalKeys.Run(runId));
        return run;
    }
}
