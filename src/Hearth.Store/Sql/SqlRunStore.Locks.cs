using System.Data.Common;
using Hearth.Core.Runs;
using Hearth.Store.Locks;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// Where runs meet locks: a task takes or queues for its lock as it would become Pending, and lets go when it ends, in
/// the same transaction.
/// </summary>
public abstract partial class SqlRunStore
{
    /// <summary>
    /// For a task about to become Pending: takes its lock, or queues it (it stays Waiting, with a reason and a log
    /// line). Returns true when the task may become Pending. The task's run row must exist and be held.
    /// </summary>
    private async Task<(bool Granted, string? Reason)> TakeLockAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        string runId,
        TaskSpec spec,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        if (spec.Lock is not { } request)
            return (true, null);
        var taken = await LockSql.AcquireAsync(connection, tx, ForUpdate, request, taskId, runId, now, ct);
        if (taken.Granted)
            return (true, null);
        return (false, LockSql.WaitingReason(request.Name, taken.Holder));
    }

    /// <summary>
    /// Records a task that just joined a lock's queue: the log line and, for a command run, the run's reason.
    /// </summary>
    private static async Task NoteQueuedAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        TaskKind kind,
        string runId,
        int attempt,
        string reason,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await LockSql.SystemLineAsync(connection, tx, runId, taskId, attempt, now, $"hearth: {reason}", ct);
        if (kind != TaskKind.WorkflowStep)
            await ExecAsync(
                connection,
                tx,
                "UPDATE runs SET reason = @reason WHERE id = @id;",
                ct,
                ("@reason", reason),
                ("@id", runId)
            );
    }

    /// <summary>
    /// A task reached a terminal state: it leaves its lock's queue or frees the lock it held, in the caller's
    /// transaction.
    /// </summary>
    private async Task ReleaseLocksAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        string? specJson,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        specJson ??=
            await ScalarAsync(connection, tx, "SELECT spec FROM tasks WHERE id = @id;", ct, ("@id", taskId)) as string;
        if (specJson is null || FromJson<TaskSpec>(specJson).Lock is null)
            return;
        await LockSql.ReleaseAsync(connection, tx, ForUpdate, taskId, now, ct);
    }

    /// <summary>A holder goes back to the queue for another attempt: same hold, new token.</summary>
    private static async Task RefenceLocksAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        string specJson,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        if (FromJson<TaskSpec>(specJson).Lock is null)
            return;
        await LockSql.RefenceAsync(connection, tx, taskId, now, ct);
    }

    /// <summary>
    /// A workflow step the scheduler made ready: it may start unless it must first queue for its lock (once; later
    /// calls find it queued).
    /// </summary>
    private async Task<bool> StepMayStartAsync(
        DbConnection connection,
        DbTransaction tx,
        string taskId,
        string runId,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        if (
            await ScalarAsync(connection, tx, "SELECT spec FROM tasks WHERE id = @id;", ct, ("@id", taskId))
            is not string specJson
        )
            return true;
        return await TaskMayStartAsync(
            connection,
            tx,
            new RunTask
            {
                Id = taskId,
                RunId = runId,
                State = TaskState.Waiting,
                Attempt = 1,
                MaxAttempts = 1,
                Epoch = 0,
                Kind = TaskKind.WorkflowStep,
            },
            FromJson<TaskSpec>(specJson),
            now,
            ct
        );
    }

    /// <summary>
    /// A Waiting task the lifecycle made ready: it may start unless it must first queue for its lock (once; later calls
    /// find it queued).
    /// </summary>
    private async Task<bool> TaskMayStartAsync(
        DbConnection connection,
        DbTransaction tx,
        RunTask task,
        TaskSpec spec,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var (taskId, runId) = (task.Id, task.RunId);
        if (spec.Lock is null)
            return true;
        var alreadyQueued =
            Convert.ToInt64(
                await ScalarAsync(
                    connection,
                    tx,
                    "SELECT COUNT(*) FROM lock_waiters WHERE task_id = @id;",
                    ct,
                    ("@id", taskId)
                )
            ) > 0;
        var locked = await TakeLockAsync(connection, tx, taskId, runId, spec, now, ct);
        if (locked.Granted)
            return true;
        if (!alreadyQueued)
        {
            await ExecAsync(
                connection,
                tx,
                "UPDATE tasks SET reason = @reason WHERE id = @id;",
                ct,
                ("@reason", locked.Reason),
                ("@id", taskId)
            );
            await NoteQueuedAsync(connection, tx, taskId, task.Kind, runId, task.Attempt, locked.Reason!, now, ct);
        }
        return false;
    }
}
