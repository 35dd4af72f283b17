using Hearth.Core.Logs;

namespace Hearth.Store.Sqlite;

public sealed partial class SqliteRunStore
{
    public async Task<AppendResult> AppendLogsAsync(string taskId, long epoch, long offset, IReadOnlyList<AgentLogLine> lines, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var task = await ReadLeasedTaskAsync(connection, tx, taskId, epoch, ct);
            if (task.Status != WriteStatus.Accepted) return new AppendResult(task.Status);
            if (offset > task.LogOffset) return new AppendResult(WriteStatus.Accepted, task.LogOffset, Gap: true);

            var skip = (int)Math.Min(task.LogOffset - offset, lines.Count);
            var fresh = lines.Count - skip;
            if (fresh > 0)
            {
                var seq = (long)(await ScalarAsync(connection, tx, "SELECT log_lines FROM runs WHERE id = $id;", ct, ("$id", task.RunId)))!;
                await using var insert = Command(connection, tx,
                    "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text) VALUES ($run, $seq, $attempt, $stream, $time, $text);");
                var pSeq = insert.Parameters.AddWithValue("$seq", 0L);
                var pStream = insert.Parameters.AddWithValue("$stream", 0);
                var pTime = insert.Parameters.AddWithValue("$time", 0L);
                var pText = insert.Parameters.AddWithValue("$text", "");
                insert.Parameters.AddWithValue("$run", task.RunId);
                insert.Parameters.AddWithValue("$attempt", task.Attempt);
                for (var i = skip; i < lines.Count; i++)
                {
                    pSeq.Value = seq++;
                    pStream.Value = (int)lines[i].Stream;
                    pTime.Value = Ms(lines[i].Time);
                    pText.Value = lines[i].Text;
                    await insert.ExecuteNonQueryAsync(ct);
                }
                await ExecAsync(connection, tx, "UPDATE runs SET log_lines = $seq WHERE id = $id;", ct, ("$seq", seq), ("$id", task.RunId));
                await ExecAsync(connection, tx, "UPDATE tasks SET log_offset = log_offset + $n WHERE id = $id;", ct, ("$n", fresh), ("$id", taskId));
            }
            await tx.CommitAsync(ct);
            return new AppendResult(WriteStatus.Accepted, task.LogOffset + fresh);
        }
    }

    public async Task<IReadOnlyList<LogLine>> ReadLogsAsync(string runId, long from, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null,
            "SELECT seq, time, stream, text, attempt FROM log_lines WHERE run_id = $run AND seq >= $from ORDER BY seq LIMIT $limit;",
            ("$run", runId), ("$from", from), ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var lines = new List<LogLine>();
        while (await reader.ReadAsync(ct))
            lines.Add(new LogLine(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), (LogStream)reader.GetInt32(2), reader.GetString(3), reader.GetInt32(4)));
        return lines;
    }
}
