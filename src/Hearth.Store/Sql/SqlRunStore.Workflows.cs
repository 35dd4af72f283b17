using Hearth.Core.Runs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<bool> AdvanceWorkflowAsync(
        string runId,
        IReadOnlyList<TaskTransition> transitions,
        RunState? outcome,
        string? reason,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var run = await ReadRunAsync(connection, tx, runId, ct, forUpdate: true);
            if (run is null || Transitions.Run.IsTerminal(run.State))
                return false;
            var changed = false;
            var states = run.Tasks.ToDictionary(t => t.Id, t => t.State, StringComparer.Ordinal);
            foreach (var transition in transitions)
            {
                if (states.GetValueOrDefault(transition.TaskId) != TaskState.Waiting)
                    continue;
                Transitions.Task.Check(TaskState.Waiting, transition.To);
                var terminal = Transitions.Task.IsTerminal(transition.To);
                if (terminal)
                    await ReleaseLocksAsync(connection, tx, transition.TaskId, null, now, ct);
                else if (await StepMayStartAsync(connection, tx, transition.TaskId, runId, now, ct) is false)
                    continue;
                await ExecAsync(
                    connection,
                    tx,
                    "UPDATE tasks SET state = @state, reason = @reason, queued_at = @now, ended_at = @ended WHERE id = @id AND state = 'Waiting';",
                    ct,
                    ("@state", transition.To.ToString()),
                    ("@reason", transition.Reason),
                    ("@now", Ms(now)),
                    ("@ended", terminal ? Ms(now) : null),
                    ("@id", transition.TaskId)
                );
                states[transition.TaskId] = transition.To;
                changed = true;
            }

            if (outcome is { } final && states.Values.All(Transitions.Task.IsTerminal))
            {
                var next =
                    run.State == RunState.Terminating
                        ? run.StopReason == StopReason.TimedOut
                            ? RunState.TimedOut
                            : RunState.Stopped
                        : final;
                Transitions.Run.Check(run.State, next);
                await ExecAsync(
                    connection,
                    tx,
                    "UPDATE runs SET state = @state, reason = @reason, ended_at = @now WHERE id = @id;",
                    ct,
                    ("@state", next.ToString()),
                    ("@reason", reason),
                    ("@now", Ms(now)),
                    ("@id", runId)
                );
                changed = true;
            }
            await tx.CommitAsync(ct);
            return changed;
        }
    }
}
