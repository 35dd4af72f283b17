using System.Data.Common;
using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using Hearth.Store.Locks;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// Where lifecycle plans are applied: the snapshot is read under the run's lock, the rules (given to the store by
/// whoever opened it) decide, and every change of the plan is written in the same transaction, each transition
/// checked against the table and against the state the decision saw. The store decides nothing here.
/// </summary>
public abstract partial class SqlRunStore
{
    private const string SnapshotTaskColumns = TaskColumns + ", spec";

    public async Task<bool> ReconcileAsync(string runId, DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var plan = await DecideAndApplyAsync(connection, tx, runId, new Reconcile(now), ct);
            if (plan.IsEmpty)
                return false;
            await tx.CommitAsync(ct);
            return true;
        }
    }

    /// <summary>
    /// Reads the run's snapshot (locking its row, then its tasks'), asks the rules, applies their plan.
    /// </summary>
    private async Task<LifecyclePlan> DecideAndApplyAsync(
        DbConnection connection,
        DbTransaction tx,
        string runId,
        LifecycleEvent happened,
        CancellationToken ct
    )
    {
        var snapshot = await ReadSnapshotAsync(connection, tx, runId, ct);
        if (snapshot is null)
            return LifecyclePlan.Empty;
        var plan = Rules.Decide(snapshot, happened);
        await ApplyAsync(connection, tx, snapshot, plan, happened.Now, ct);
        return plan;
    }

    /// <summary>
    /// The run's row, then its tasks' rows (locked in that order), in one command: one round trip to a database server.
    /// </summary>
    private async Task<LifecycleSnapshot?> ReadSnapshotAsync(
        DbConnection connection,
        DbTransaction tx,
        string runId,
        CancellationToken ct
    )
    {
        await using var command = Command(
            connection,
            tx,
            $"""
            SELECT {RunColumns} FROM runs WHERE id = @id{ForUpdate};
            SELECT {SnapshotTaskColumns} FROM tasks WHERE run_id = @id ORDER BY {TaskOrder}{ForUpdate};
            """,
            ("@id", runId)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var run = await reader.ReadAsync(ct) ? ReadRun(reader) : null;
        await reader.NextResultAsync(ct);
        var tasks = new List<TaskSnapshot>();
        while (await reader.ReadAsync(ct))
            tasks.Add(new TaskSnapshot(ReadTask(reader), FromJson<TaskSpec>(reader.GetString(TaskColumnCount))));
        return run is null
            ? null
            : new LifecycleSnapshot(run with { Tasks = tasks.Select(t => t.Task).ToList() }, tasks);
    }

    private async Task ApplyAsync(
        DbConnection connection,
        DbTransaction tx,
        LifecycleSnapshot snapshot,
        LifecyclePlan plan,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var states = snapshot.Tasks.ToDictionary(t => t.Id, t => t, StringComparer.Ordinal);
        // The rows' updates go in one command (one round trip); lock steps run as they come, they touch other tables.
        var batch = new UpdateBatch();
        foreach (var change in plan.Tasks)
        {
            var task = states[change.TaskId];
            if (task.State != change.From)
                throw new IllegalTransitionException(
                    "TaskState",
                    task.State.ToString(),
                    $"{change.To} (decided from {change.From})"
                );
            if (change.From != change.To)
                Transitions.Task.Check(change.From, change.To);
            switch (change.Lock)
            {
                case LockStep.Release:
                    await LockSql.ReleaseAsync(connection, tx, ForUpdate, change.TaskId, now, ct);
                    break;
                case LockStep.Refence:
                    await LockSql.RefenceAsync(connection, tx, change.TaskId, now, ct);
                    break;
                case LockStep.Take when !await TaskMayStartAsync(connection, tx, task.Task, task.Spec, now, ct):
                    continue;
            }
            UpdateTask(batch, change, now);
            states[change.TaskId] = task with { Task = task.Task with { State = change.To } };
        }
        if (plan.Run is { } run)
        {
            if (snapshot.Run.State != run.From)
                throw new IllegalTransitionException(
                    "RunState",
                    snapshot.Run.State.ToString(),
                    $"{run.To} (decided from {run.From})"
                );
            if (run.From != run.To)
                Transitions.Run.Check(run.From, run.To);
            UpdateRun(batch, snapshot.Run.Id, run);
        }
        await batch.ExecuteAsync(connection, tx, ct);
        foreach (var line in plan.Lines)
            await AppendSystemLineAsync(connection, tx, snapshot.Run.Id, line.Attempt, now, line.Text, ct, line.TaskId);
    }

    private static void UpdateTask(UpdateBatch batch, TaskChange change, DateTimeOffset now)
    {
        var terminal = Transitions.Task.IsTerminal(change.To);
        var update = batch.Update("tasks", change.TaskId);
        update.Set("state", change.To.ToString());
        if (!change.KeepReason)
            update.Set("reason", change.Reason);
        if (terminal)
            update.Set("exit_code", change.ExitCode);
        if (terminal)
            update.Raw("lease_expires_at = NULL");
        if (terminal && change.From is TaskState.Pending or TaskState.Waiting)
            update.Raw("not_before = NULL");
        if (change.StartedAt is { } started)
            update.Keep("started_at", Ms(started));
        if (change.EndedAt is { } ended)
            update.Set("ended_at", Ms(ended));
        if (change.NextAttempt)
        {
            update.Raw(
                "attempt = attempt + 1, agent_id = NULL, lease_expires_at = NULL, deadline = NULL, started_at = NULL, exit_code = NULL"
            );
            update.Set("not_before", change.NotBefore is { } nb ? Ms(nb) : null);
        }
        if (change.History is { } history)
            update.Set("history", Json(history));
        if (change.Stop is { } stop)
            update.Set("stop_reason", stop.ToString());
        if (change.From == TaskState.Waiting && change.To == TaskState.Pending)
            update.Set("queued_at", Ms(now));
    }

    private static void UpdateRun(UpdateBatch batch, string runId, RunChange change)
    {
        var update = batch.Update("runs", runId);
        update.Set("state", change.To.ToString());
        if (!change.KeepReason && (change.From != change.To || change.Reason is not null))
            update.Set("reason", change.Reason);
        if (Transitions.Run.IsTerminal(change.To))
            update.Set("exit_code", change.ExitCode);
        if (change.StartedAt is { } started)
            update.Keep("started_at", Ms(started));
        if (change.EndedAt is { } ended)
            update.Set("ended_at", Ms(ended));
        if (change.Stop is { } stop)
            update.Set("stop_reason", stop.ToString());
    }
}
