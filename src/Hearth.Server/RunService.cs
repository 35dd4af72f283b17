using Hearth.Core;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server;

/// <summary>Accepts runs and stops them; the one place the API, and later workflows and cron, create work through.</summary>
public sealed class RunService(IRunStore store, Signals signals, WorkBoard board, TimeProvider time, IdGenerator ids, HearthMetrics metrics)
{
    public async Task<Run> CreateCommandRunAsync(TaskSpec spec, int maxAttempts, string? createdBy, CancellationToken ct)
    {
        var run = new Run
        {
            Id = ids.Next(),
            Kind = "command",
            State = RunState.Starting,
            CreatedAt = time.GetUtcNow(),
            Spec = spec,
            CreatedBy = createdBy,
        };
        await store.CreateRunAsync(run, [new NewTask(TaskIds.ForCommand(run.Id), "main", spec, maxAttempts)], ct);
        metrics.RunsCreated.WithLabels(run.Kind).Inc();
        board.Offer(spec.Requirements);
        signals.PulseElsewhere(SignalKeys.Work);
        return (await store.GetRunAsync(run.Id, ct))!;
    }

    public async Task<Run?> StopAsync(string runId, StopReason reason, CancellationToken ct)
    {
        var run = await store.RequestStopAsync(runId, reason, time.GetUtcNow(), ct);
        if (run is null) return null;
        foreach (var task in run.Tasks) signals.Pulse(SignalKeys.Stop(task.Id));
        signals.Pulse(SignalKeys.Work);
        signals.Pulse(SignalKeys.Run(runId));
        return run;
    }
}
