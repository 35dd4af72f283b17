using System.Text;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server.Logs;

/// <summary>
/// Serves a run's log from any offset: the backlog in pages (a 10 MB log is never held whole), then live lines
/// as they are stored, then an end event with the exit code. Server-Sent Events, so any HTTP client can follow.
/// </summary>
public sealed class LogFollower(IRunStore store, Signals signals, TimeProvider time)
{
    /// <summary>Lines per page unless a client asks for more; also the stream's reads.</summary>
    public const int PageSize = 1000;

    /// <summary>The most lines one page may hold (about 10 MB of 100-byte lines).</summary>
    public const int MaxPageSize = 10_000;

    // New lines are pushed (this server's writes, other servers' through the change feed); the re-check only bounds
    // what a lost notification could cost.
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>A page of the log as the JSON of <see cref="LogPageView"/>, written while the store reads it.</summary>
    public async Task<LogPageResult> PageAsync(
        Run run,
        long from,
        IReadOnlyList<string>? taskIds,
        int limit,
        CancellationToken ct
    )
    {
        var page = new LogPageWriter(run, limit);
        try
        {
            var read = await store.ReadLogsAsync(run.Id, taskIds, from, limit, page, ct);
            var next = read.Count > 0 ? read.LastSeq + 1 : Math.Max(from, 0);
            var complete =
                Transitions.Run.IsTerminal(run.State)
                && (next >= run.LogLines || (taskIds is not null && read.Count < limit));
            return new LogPageResult(page, page.Finish(next, complete, run.ExitCode), next, complete);
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }

    public async Task StreamAsync(
        HttpContext http,
        Run run,
        long from,
        IReadOnlyList<string>? taskIds,
        CancellationToken ct
    )
    {
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(ct);

        var next = from;
        var lastWrite = time.GetUtcNow();
        using var events = new LogEventWriter();
        while (!ct.IsCancellationRequested)
        {
            // New lines of an agent's, or a change of the run's state (its end, a line of Hearth's own).
            var changed = Task.WhenAny(
                signals.Prepare(SignalKeys.Lines(run.Id)),
                signals.Prepare(SignalKeys.Run(run.Id))
            );
            events.Clear();
            var read = await store.ReadLogsAsync(run.Id, taskIds, next, PageSize, events, ct);
            if (read.Count > 0)
            {
                await response.Body.WriteAsync(events.Written, ct);
                await response.Body.FlushAsync(ct);
                next = read.LastSeq + 1;
                lastWrite = time.GetUtcNow();
                if (read.Count == PageSize)
                    continue;
            }

            var current = await store.GetRunAsync(run.Id, ct);
            if (current is null)
                return;
            // Every line is stored before its run ends, so one more empty read after the end means nothing is left.
            if (
                Transitions.Run.IsTerminal(current.State)
                && (
                    next >= current.LogLines
                    || (taskIds is not null && (await store.ReadLogsAsync(run.Id, taskIds, next, 1, ct)).Count == 0)
                )
            )
            {
                var end = new LogEndView(current.Id, current.State, current.ExitCode, current.Reason, next);
                await response.WriteAsync($"event: end\ndata: {HearthJson.Serialize(end)}\n\n", ct);
                await response.Body.FlushAsync(ct);
                // No lines come after the end: the run's other followers read theirs, and no line waiter is left
                // behind.
                signals.PulseHere(SignalKeys.Lines(run.Id));
                return;
            }
            if (taskIds is null && next < current.LogLines)
                continue;

            if (time.GetUtcNow() - lastWrite >= KeepAlive)
            {
                await response.WriteAsync(": keep-alive\n\n", ct);
                await response.Body.FlushAsync(ct);
                lastWrite = time.GetUtcNow();
            }
            await Signals.WaitAsync(changed, Recheck, time, ct);
        }
    }
}
