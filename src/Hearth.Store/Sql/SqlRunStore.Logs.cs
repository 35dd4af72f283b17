using System.Data.Common;
using Hearth.Core.Logs;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task<AppendResult> AppendLogsAsync(
        string taskId,
        long epoch,
        long offset,
        IReadOnlyList<AgentLogLine> lines,
        CancellationToken ct
    )
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var (_, task) = await LockRunAndReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted)
                return new AppendResult(task.Status);
            if (offset > task.LogOffset)
                return new AppendResult(WriteStatus.Accepted, task.LogOffset, Gap: true);

            var fresh = await InsertAgentLinesAsync(connection, tx, task, offset, lines, ct);
            await tx.CommitAsync(ct);
            return new AppendResult(WriteStatus.Accepted, task.LogOffset + fresh) { RunId = task.RunId };
        }
    }

    /// <summary>
    /// Stores an agent's lines numbered from <paramref name="offset"/> (at most the task's log offset), skipping those
    /// it has already; returns how many were new. The run's row must be locked.
    /// </summary>
    private async Task<int> InsertAgentLinesAsync(
        DbConnection connection,
        DbTransaction tx,
        LeasedTask task,
        long offset,
        IReadOnlyList<AgentLogLine> lines,
        CancellationToken ct
    )
    {
        var skip = (int)Math.Min(task.LogOffset - offset, lines.Count);
        var fresh = lines.Count - skip;
        if (fresh <= 0)
            return 0;
        var first = Convert.ToInt64(
            await ScalarAsync(connection, tx, "SELECT log_lines FROM runs WHERE id = @id;", ct, ("@id", task.RunId))
        );
        await InsertLinesAsync(
            connection,
            tx,
            new LineBatch(task.RunId, task.Id, task.Attempt, first, lines, skip),
            ct
        );
        var seq = first + fresh;
        await ExecAsync(
            connection,
            tx,
            "UPDATE runs SET log_lines = @seq WHERE id = @id;",
            ct,
            ("@seq", seq),
            ("@id", task.RunId)
        );
        await ExecAsync(
            connection,
            tx,
            "UPDATE tasks SET log_offset = log_offset + @n WHERE id = @id;",
            ct,
            ("@n", (long)fresh),
            ("@id", task.Id)
        );
        return fresh;
    }

    /// <summary>Lines <c>Skip..</c> of <c>Lines</c>, numbered in the run's log from <c>FirstSeq</c>.</summary>
    private protected sealed record LineBatch(
        string RunId,
        string TaskId,
        int Attempt,
        long FirstSeq,
        IReadOnlyList<AgentLogLine> Lines,
        int Skip
    );

    /// <summary>
    /// Inserts a batch of lines: one prepared statement per line here, where a statement costs no round trip.
    /// </summary>
    private protected virtual async Task InsertLinesAsync(
        DbConnection connection,
        DbTransaction tx,
        LineBatch batch,
        CancellationToken ct
    )
    {
        await using var insert = Command(
            connection,
            tx,
            "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text, task_id) "
                + "VALUES (@run, @seq, @attempt, @stream, @time, @text, @task);"
        );
        var pSeq = Add(insert, "@seq", 0L);
        var pStream = Add(insert, "@stream", 0);
        var pTime = Add(insert, "@time", 0L);
        var pText = Add(insert, "@text", "");
        Add(insert, "@run", batch.RunId);
        Add(insert, "@attempt", batch.Attempt);
        Add(insert, "@task", batch.TaskId);
        var seq = batch.FirstSeq;
        for (var i = batch.Skip; i < batch.Lines.Count; i++)
        {
            pSeq.Value = seq++;
            pStream.Value = (int)batch.Lines[i].Stream;
            pTime.Value = Ms(batch.Lines[i].Time);
            pText.Value = batch.Lines[i].Text;
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    public Task<IReadOnlyList<LogLine>> ReadLogsAsync(string runId, long from, int limit, CancellationToken ct) =>
        ReadLogsAsync(runId, (string?)null, from, limit, ct);

    public Task<IReadOnlyList<LogLine>> ReadLogsAsync(
        string runId,
        string? taskId,
        long from,
        int limit,
        CancellationToken ct
    ) => ReadLogsAsync(runId, taskId is null ? null : [taskId], from, limit, ct);

    public async Task<IReadOnlyList<LogLine>> ReadLogsAsync(
        string runId,
        IReadOnlyCollection<string>? taskIds,
        long from,
        int limit,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        // A run has a few tasks and a log may have millions of lines: the steps' names are read once, not joined per
        // line.
        var steps = await StepNamesAsync(connection, runId, ct);
        await using var command = PageCommand(
            connection,
            "seq, time, stream, text, attempt, task_id",
            runId,
            taskIds,
            from,
            limit
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var lines = new List<LogLine>(Math.Min(limit, 10_000));
        var names = new StepOfLine(steps);
        while (await reader.ReadAsync(ct))
        {
            var task = Text(reader, 5);
            lines.Add(
                new LogLine(
                    reader.GetInt64(0),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                    (LogStream)reader.GetInt32(2),
                    reader.GetString(3),
                    reader.GetInt32(4),
                    names.SharedId(task),
                    names.StepOf(task)
                )
            );
        }
        return lines;
    }

    public async Task<LogPageRead> ReadLogsAsync(
        string runId,
        IReadOnlyCollection<string>? taskIds,
        long from,
        int limit,
        ILogLineSink sink,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        var steps = await StepNamesAsync(connection, runId, ct);
        // Only a workflow's lines name their step: any other run's lines are read without the task that wrote them.
        var columns = steps.Count > 0 ? "seq, time, stream, text, task_id" : "seq, time, stream, text";
        await using var command = PageCommand(connection, columns, runId, taskIds, from, limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var names = new StepOfLine(steps);
        var count = 0;
        var last = -1L;
        while (await reader.ReadAsync(ct))
        {
            last = reader.GetInt64(0);
            var step = steps.Count > 0 ? names.StepOf(Text(reader, 4)) : null;
            sink.Write(
                last,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                (LogStream)reader.GetInt32(2),
                reader.GetString(3),
                step
            );
            count++;
        }
        return new LogPageRead(count, last);
    }

    /// <summary>
    /// A page of a run's lines in order, from <paramref name="from"/>, of some tasks or (null) of all.
    /// </summary>
    private static DbCommand PageCommand(
        DbConnection connection,
        string columns,
        string runId,
        IReadOnlyCollection<string>? taskIds,
        long from,
        int limit
    )
    {
        var names = taskIds?.Select((_, i) => $"@t{i}").ToList();
        var filter =
            names is null ? ""
            : names.Count == 0 ? " AND 1 = 0"
            : $" AND task_id IN ({string.Join(", ", names)})";
        return Command(
            connection,
            null,
            $"""
            SELECT {columns} FROM log_lines
            WHERE run_id = @run AND seq >= @from{filter} ORDER BY seq LIMIT @limit;
            """,
            [
                ("@run", runId),
                ("@from", from),
                ("@limit", limit),
                .. (taskIds ?? []).Select((t, i) => ($"@t{i}", (object?)t)),
            ]
        );
    }

    /// <summary>
    /// The step of each line's task. Lines come in runs of one task's, so a run's id and step are looked up once and
    /// shared by its lines instead of a string per line.
    /// </summary>
    private sealed class StepOfLine(Dictionary<string, string> steps)
    {
        private string? _task;
        private string? _step;

        public string? SharedId(string? task)
        {
            Update(task);
            return task is null ? null : _task;
        }

        public string? StepOf(string? task)
        {
            Update(task);
            return task is null ? null : _step;
        }

        private void Update(string? task)
        {
            if (task is null || task == _task)
                return;
            _task = task;
            _step = steps.GetValueOrDefault(task);
        }
    }

    /// <summary>The names of a run's workflow steps by task id (empty for any other run).</summary>
    private static async Task<Dictionary<string, string>> StepNamesAsync(
        DbConnection connection,
        string runId,
        CancellationToken ct
    )
    {
        await using var command = Command(
            connection,
            null,
            "SELECT id, name FROM tasks WHERE run_id = @run AND kind = 'workflow_step';",
            ("@run", runId)
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var steps = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            steps[reader.GetString(0)] = reader.GetString(1);
        return steps;
    }

    /// <summary>
    /// Writes a line of Hearth's own into the run's log, numbered like any other. The run's row must be locked.
    /// </summary>
    private protected static async Task AppendSystemLineAsync(
        DbConnection connection,
        DbTransaction tx,
        string runId,
        int attempt,
        DateTimeOffset now,
        string text,
        CancellationToken ct,
        string? taskId = null
    )
    {
        var seq = Convert.ToInt64(
            await ScalarAsync(connection, tx, "SELECT log_lines FROM runs WHERE id = @id;", ct, ("@id", runId))
        );
        await ExecAsync(
            connection,
            tx,
            "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text, task_id) VALUES (@run, @seq, @attempt, @stream, @time, @text, @task);",
            ct,
            ("@run", runId),
            ("@seq", seq),
            ("@attempt", attempt),
            ("@stream", (int)LogStream.System),
            ("@time", Ms(now)),
            ("@text", text),
            ("@task", taskId)
        );
        await ExecAsync(
            connection,
            tx,
            "UPDATE runs SET log_lines = log_lines + 1 WHERE id = @id;",
            ct,
            ("@id", runId)
        );
    }
}
