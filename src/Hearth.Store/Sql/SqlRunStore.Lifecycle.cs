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
            if (plan.IsEmpty) return false;
            await tx.CommitAsync(ct);
            return true;
        }
    }

    /// <summary>Reads the run's snapshot (locking its row, then its tasks'), asks the rules, applies their plan.</summary>
    private async Task<LifecyclePlan> DecideAndApplyAsync(DbConnection connection, DbTransaction tx, string runId, LifecycleEvent happened,
        CancellationToken ct)
    {
        var snapshot = await ReadSnapshotAsync(connection, tx, runId, ct);
        if (snapshot is null) return LifecyclePlan.Empty;
        var plan = Rules.Decide(snapshot, happened);
        await ApplyAsync(connection, tx, snapshot, plan, happened.Now, ct);
        return plan;
    }

    private async Task<LifecycleSnapshot?> ReadSnapshotAsync(DbConnection connection, DbTransaction tx, string runId, CancellationToken ct)
    {
        Run? run;
        await using (var command = Command(connection, tx, $"SELECT {RunColumns} FROM runs WHERE id = @id{ForUpdate};", ("@id", runId)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            run = await reader.ReadAsync(ct) ? ReadRun(reader) : null;
        if (run is null) return null;

        var tasks = new List<TaskSnapshot>();
        await using (var command = Command(connection, tx,
            $"SELECT {SnapshotTaskColumns} FROM tasks WHERE run_id = @run ORDER BY {TaskOrder}{ForUpdate};", ("@run", runId)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) tasks.Add(new TaskSnapshot(ReadTask(reader), FromJson<TaskSpec>(reader.GetString(18))));
        }
        return new LifecycleSnapshot(run with { Tasks = tasks.Select(t => t.Task).ToList() }, tasks);
    }

    private async Task ApplyAsync(DbConnection connection, DbTransaction tx, LifecycleSnapshot snapshot, LifecyclePlan plan, DateTimeOffset now,
        CancellationToken ct)
    {
        var states = snapshot.Tasks.ToDictionary(t => t.Id, t => t, StringComparer.Ordinal);
        foreach (var change in plan.Tasks)
        {
            var task = states[change.TaskId];
            if (task.State != change.From)
                throw new IllegalTransitionException("TaskState", task.State.ToString(), $"{change.To} (decided from {change.From})");
            if (change.From != change.To) Transitions.Task.Check(change.From, change.To);
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
            await UpdateTaskAsync(connection, tx, change, now, ct);
            states[change.TaskId] = task with { Task = task.Task with { State = change.To } };
        }
        if (plan.Run is { } run)
        {
            if (snapshot.Run.State != run.From)
                throw new IllegalTransitionException("RunState", snapshot.Run.State.ToString(), $"{run.To} (decided from {run.From})");
            if (run.From != run.To) Transitions.Run.Check(run.From, run.To);
            await UpdateRunAsync(connection, tx, snapshot.Run.Id, run, ct);
        }
        foreach (var line in plan.Lines) await AppendSystemLineAsync(connection, tx, snapshot.Run.Id, line.Attempt, now, line.Text, ct, line.TaskId);
    }

    private static async Task UpdateTaskAsync(DbConnection connection, DbTransaction tx, TaskChange change, DateTimeOffset now, CancellationToken ct)
    {
        var terminal = Transitions.Task.IsTerminal(change.To);
        var sets = new List<string> { "state = @state" };
        var parameters = new List<(string, object?)> { ("@state", change.To.ToString()), ("@id", change.TaskId) };
        void Set(string column, string name, object? value)
        {
            sets.Add($"{column} = {name}");
            parameters.Add((name, value));
        }
        if (!change.KeepReason) Set("reason", "@reason", change.Reason);
        if (terminal) Set("exit_code", "@exit", change.ExitCode);
        if (terminal) sets.Add("lease_expires_at = NULL");
        if (terminal && change.From is TaskState.Pending or TaskState.Waiting) sets.Add("not_before = NULL");
        if (change.StartedAt is { } started)
        {
            sets.Add("started_at = COALESCE(started_at, @started)");
            parameters.Add(("@started", Ms(started)));
        }
        if (change.EndedAt is { } ended) Set("ended_at", "@ended", Ms(ended));
        if (change.NextAttempt)
        {
            sets.Add("attempt = attempt + 1, agent_id = NULL, lease_expires_at = NULL, deadline = NULL, started_at = NULL, exit_code = NULL");
            Set("not_before", "@notBefore", change.NotBefore is { } nb ? Ms(nb) : null);
        }
        if (change.History is { } history) Set("history", "@history", Json(history));
        if (change.Stop is { } stop) Set("stop_reason", "@stop", stop.ToString());
        if (change.From == TaskState.Waiting && change.To == TaskState.Pending) Set("queued_at", "@queued", Ms(now));
        await ExecAsync(connection, tx, $"UPDATE tasks SET {string.Join(", ", sets)} WHERE id = @id;", ct, [.. parameters]);
    }

    private static async Task UpdateRunAsync(DbConnection connection, DbTransaction tx, string runId, RunChange change, CancellationToken ct)
    {
        var sets = new List<string> { "state = @state" };
        var parameters = new List<(string, object?)> { ("@state", change.To.ToString()), ("@id", runId) };
        void Set(string column, string name, object? value)
        {
            sets.Add($"{column} = {name}");
            parameters.Add((name, value));
        }
        var terminal = Transitions.Run.IsTerminal(change.To);
        if (!change.KeepReason && (change.From != change.To || change.Reason is not null)) Set("reason", "@reason", change.Reason);
        if (terminal) Set("exit_code", "@exit", change.ExitCode);
        if (change.StartedAt is { } started)
        {
            sets.Add("started_at = COALESCE(started_at, @started)");
            parameters.Add(("@started", Ms(started)));
        }
        if (change.EndedAt is { } ended) Set("ended_at", "@ended", Ms(ended));
        if (change.Stop is { } stop) Set("stop_reason", "@stop", stop.ToString());
        await ExecAsync(connection, tx, $"UPDATE runs SET {string.Join(", ", sets)} WHERE id = @id;", ct, [.. parameters]);
    }
}
