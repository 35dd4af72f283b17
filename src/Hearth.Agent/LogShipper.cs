using System.Text;
using System.Threading.Channels;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Secrets;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// Collects a sandbox's lines and ships them in numbered chunks. A line written while no chunk is in flight is shipped
/// at once; lines written while one is in flight wait for its answer and then go together, so a quiet task's lines
/// arrive without delay and a chatty one's are batched by the round trip itself (as Nagle's algorithm does), with no
/// timer in between. A chunk is kept until the server acknowledged it,
/// so a retried chunk is stored once (the server skips lines it has) and nothing is lost across a network blip.
/// A full buffer (by lines and by bytes) slows the sandbox's reader down instead of dropping lines or growing memory.
/// Chunks are capped by lines and bytes, well under the server's body limit; a chunk the server refuses as such
/// (400, 413) is replaced by a line saying so, never retried. Nothing is shipped until the task's
/// <see cref="RunningReport"/> window is over: a task that ends first hands its lines to its result instead.
/// </summary>
public sealed class LogShipper : ISandboxOutput
{
    /// <summary>
    /// Ends a piece of a line too long for one log line (the sandbox cuts at 64 KiB); the next piece continues it.
    /// </summary>
    public const string ContinuationMark = SecretMasker.ContinuationMark;
    public const int MaxChunkLines = 5000;

    /// <summary>
    /// A chunk's text in UTF-8: JSON escaping can grow it sixfold, still under the server's 16 MiB default.
    /// </summary>
    public const int MaxChunkBytes = 1024 * 1024;

    /// <summary>Characters held for shipping before the sandbox's reader waits (about 8 MB).</summary>
    public const long BufferChars = 4 * 1024 * 1024;

    /// <summary>
    /// How long a stopped task's last lines may take to ship before they are dropped and the result is sent.
    /// </summary>
    public static readonly TimeSpan StoppedFlush = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an unfinished piece whose end could be the start of a secret waits for the piece that continues it, so
    /// that both are masked together (a value written in two writes must not leak its first part).
    /// </summary>
    public static readonly TimeSpan PartialSecretHold = TimeSpan.FromSeconds(5);

    private readonly Channel<Entry> _lines = Channel.CreateBounded<Entry>(
        new BoundedChannelOptions(20_000) { SingleReader = true }
    );
    private readonly OutputBudget _budget = new(BufferChars);
    private readonly AgentApiClient _api;
    private readonly Assignment _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly CancellationTokenSource _abandon = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RunningReport _report;
    private readonly SecretMasker _masker;
    private readonly Action<LogCheckpoint, LogCheckpoint?>? _checkpoint;
    private string? _lastShipped;
    private long _offset;
    private OutputCursor _cursor;
    private OutputCursor _shippedCursor;
    private volatile bool _discard;

    /// <param name="from">Where the server's log and the sandbox's output stand (a recovered sandbox's; else the
    /// start).</param>
    /// <param name="checkpoint">
    /// Told, before each chunk is sent, how far the server has the output and how far it will once the chunk is stored:
    /// the agent's sandbox record keeps both, so that after a restart shipping resumes exactly where the server is.
    /// </param>
    public LogShipper(
        AgentApiClient api,
        Assignment lease,
        RunningReport report,
        TimeProvider time,
        ILogger logger,
        LogCheckpoint? from = null,
        Action<LogCheckpoint, LogCheckpoint?>? checkpoint = null
    )
    {
        _api = api;
        from ??= LogCheckpoint.Start;
        _offset = from.Line;
        _cursor = _shippedCursor = from.Cursor;
        _checkpoint = checkpoint;
        _report = report;
        _lease = lease;
        _time = time;
        _logger = logger;
        // A replica's secret files are masked even if a server left them out of Mask.
        _masker = new SecretMasker([.. lease.Mask, .. lease.SecretFiles.Values]);
        _loop = Task.Run(ShipAsync);
    }

    /// <summary>The log offset the next shipped line gets (where held lines are numbered from).</summary>
    public long Offset => _offset;

    /// <summary>Set when the server said the lease is stale: nothing more will be accepted.</summary>
    public bool Stale { get; private set; }

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        WritePieceAsync(stream, line, false, cancellationToken);

    public ValueTask WritePieceAsync(
        OutputStream stream,
        string piece,
        bool continues,
        CancellationToken cancellationToken
    ) =>
        WriteAsync(
            stream == OutputStream.Stderr ? LogStream.Stderr : LogStream.Stdout,
            continues ? piece + ContinuationMark : piece,
            continues,
            cancellationToken
        );

    /// <summary>
    /// A piece with its place in the stream. A line cut at the 64 KiB limit ends with <see cref="ContinuationMark"/>; a
    /// line delivered unfinished because it waited (a progress bar) is shipped as it is, and its rest as the next line.
    /// </summary>
    public ValueTask WriteAsync(OutputPiece piece, CancellationToken cancellationToken)
    {
        // One writer at a time (the sandbox serialises its streams), so the cursor needs no lock.
        _cursor = _cursor.With(piece.Stream, piece.EndOffset);
        var text = piece.End == PieceEnd.Split ? piece.Text + ContinuationMark : piece.Text;
        return WriteAsync(
            piece.Stream == OutputStream.Stderr ? LogStream.Stderr : LogStream.Stdout,
            text,
            piece.End != PieceEnd.Newline,
            cancellationToken
        );
    }

    /// <summary>
    /// When the command wrote its first line (its own output, not Hearth's), for the startup breakdown.
    /// </summary>
    public DateTimeOffset? FirstOutputAt { get; private set; }

    public ValueTask WriteAsync(LogStream stream, string line, CancellationToken cancellationToken) =>
        WriteAsync(stream, line, false, cancellationToken);

    /// <param name="unfinished">The next line of the stream continues this one (a split or an idle piece).</param>
    private async ValueTask WriteAsync(
        LogStream stream,
        string line,
        bool unfinished,
        CancellationToken cancellationToken
    )
    {
        if (FirstOutputAt is null && stream != LogStream.System)
            FirstOutputAt = _time.GetUtcNow();
        if (_discard)
            return;
        // A chunk's worth held back: the task is not short, and its lines should be on their way.
        if (!_report.WindowOver.IsCompleted && (_lines.Reader.Count >= MaxChunkLines || _budget.Used >= MaxChunkBytes))
            _report.EndWindow();
        await _budget.TakeAsync(line.Length, cancellationToken);
        if (_discard)
            return;
        await _lines.Writer.WriteAsync(
            new Entry(new AgentLogLine(_time.GetUtcNow(), stream, line), _cursor, unfinished),
            cancellationToken
        );
    }

    /// <summary>
    /// No more lines will come: ships what is left and returns when the server has it (or gave up). Returns the lines
    /// never shipped because the window was still open, masked, numbered from 0, for the result to carry.
    /// </summary>
    /// <param name="limit">
    /// For a stopped task: how long shipping may still take. Past it, the lines left are dropped (with a line saying
    /// so, if the server takes it), so that a stop or timeout ends the task even while its output is backed up.
    /// </param>
    public async Task<List<AgentLogLine>> FlushAndCloseAsync(CancellationToken leaseLost, TimeSpan? limit = null)
    {
        _closed.TrySetResult();
        _lines.Writer.TryComplete();
        try
        {
            if (limit is { } within)
                await _loop.WaitAsync(within, _time, leaseLost);
            else
                await _loop.WaitAsync(leaseLost);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning(
                "task {Task}: the lease was lost before the last lines were shipped; abandoning them",
                _lease.TaskId
            );
            await AbandonAsync();
            return [];
        }
        catch (TimeoutException)
        {
            var dropped = await AbandonAsync();
            _logger.LogWarning(
                "task {Task}: stopped with {Lines} lines not yet shipped; dropping them",
                _lease.TaskId,
                dropped
            );
            await NoteAsync(
                $"hearth: {dropped} lines of output were dropped: the task was stopped while they waited to be shipped"
            );
            return [];
        }
        var held = new List<AgentLogLine>();
        while (_lines.Reader.TryRead(out var entry))
            held.Add(entry.Line);
        Mask(held);
        return held;
    }

    /// <summary>Stops shipping and drops what is buffered; returns how many lines were dropped.</summary>
    private async Task<int> AbandonAsync()
    {
        _discard = true;
        _budget.Open();
        await _abandon.CancelAsync();
        await _loop.ContinueWith(static _ => { }, TaskScheduler.Default);
        var dropped = 0;
        while (_lines.Reader.TryRead(out _))
            dropped++;
        return dropped;
    }

    /// <summary>One system line after shipping ended, tried once, briefly: the result must not wait for it.</summary>
    private async Task NoteAsync(string text)
    {
        if (Stale)
            return;
        using var brief = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
        try
        {
            await _api.AppendLogsAsync(
                _lease.TaskId,
                new LogChunkBody(_lease.Epoch, _offset, [new AgentLogLine(_time.GetUtcNow(), LogStream.System, text)]),
                brief.Token
            );
        }
        catch (Exception e)
            when (e
                    is HttpRequestException
                        or AgentProtocolException
                        or StaleLeaseException
                        or OperationCanceledException
            )
        {
            _logger.LogWarning(
                "task {Task}: could not log that lines were dropped ({Error})",
                _lease.TaskId,
                e.Message
            );
        }
    }

    private async Task ShipAsync()
    {
        var ready = _report.ShipReadyAsync();
        await Task.WhenAny(ready, _closed.Task);
        if (!ready.IsCompleted)
            return;
        var chunk = new List<AgentLogLine>(MaxChunkLines);
        var cursors = new List<OutputCursor>(MaxChunkLines);
        var reader = _lines.Reader;
        Entry? held = null;
        while (held is not null || await reader.WaitToReadAsync())
        {
            var last = held;
            if (held is { } first)
            {
                chunk.Add(first.Line);
                cursors.Add(first.After);
                held = null;
            }
            last = Fill(chunk, cursors) ?? last;
            if (last is { Unfinished: true } && _masker.EndsWithPartial(last.Value.Line.Text))
            {
                // Its end may be a secret's start: it goes with the piece that continues it, to be masked whole.
                if (chunk.Count > 1)
                {
                    held = last;
                    chunk.RemoveAt(chunk.Count - 1);
                    cursors.RemoveAt(cursors.Count - 1);
                }
                else if (await HoldAsync())
                {
                    held = last;
                    chunk.Clear();
                    cursors.Clear();
                    continue;
                }
            }
            var chars = chunk.Sum(l => (long)l.Text.Length);
            Mask(chunk);
            var sent = await SendAsync(chunk, cursors);
            _budget.Give(chars);
            if (!sent)
                return;
            chunk.Clear();
            cursors.Clear();
        }
    }

    /// <summary>
    /// Moves the lines waiting into the chunk, up to its line and byte caps (a first line always fits). Returns the
    /// last entry moved, if any.
    /// </summary>
    private Entry? Fill(List<AgentLogLine> chunk, List<OutputCursor> cursors)
    {
        var bytes = 0;
        Entry? last = null;
        while (chunk.Count < MaxChunkLines && _lines.Reader.TryPeek(out var next))
        {
            var size = Encoding.UTF8.GetByteCount(next.Line.Text) + 64;
            if (chunk.Count > 0 && bytes + size > MaxChunkBytes)
                break;
            _lines.Reader.TryRead(out _);
            chunk.Add(next.Line);
            cursors.Add(next.After);
            bytes += size;
            last = next;
        }
        return last;
    }

    /// <summary>Set while an unfinished piece is held back for the piece that continues it.</summary>
    internal bool Holding { get; private set; }

    /// <summary>
    /// Waits for a next line (true), until <see cref="PartialSecretHold"/> is over, or the shipper closes or is
    /// abandoned (false).
    /// </summary>
    private async Task<bool> HoldAsync()
    {
        using var deadline = new CancellationTokenSource(PartialSecretHold, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _abandon.Token);
        Holding = true;
        try
        {
            return await _lines.Reader.WaitToReadAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Holding = false;
        }
    }

    private static LogCheckpoint Checkpoint(long line, OutputCursor cursor) => new(line, cursor.Stdout, cursor.Stderr);

    /// <summary>
    /// Secrets are masked here, before lines leave the host, and again by the server before it stores them. A value cut
    /// by a line split or an idle flush is caught within a chunk: an unfinished piece whose end could start a secret is
    /// held back for the piece that continues it (<see cref="PartialSecretHold"/>). Across chunks, only the second part
    /// of a value can still be masked.
    /// </summary>
    private void Mask(List<AgentLogLine> chunk)
    {
        if (_masker.IsEmpty || chunk.Count == 0)
            return;
        (var texts, _lastShipped) = _masker.ApplyToLines(chunk.Select(l => l.Text).ToArray(), _lastShipped);
        for (var i = 0; i < texts.Length; i++)
            chunk[i] = chunk[i] with { Text = texts[i] };
    }

    /// <summary>A refusal that resending the same chunk cannot turn into a success (too large, malformed).</summary>
    private static bool IsFinal(AgentProtocolException e) => e.Status is 400 or 413 or 422;

    private async Task<bool> SendAsync(List<AgentLogLine> chunk, List<OutputCursor> cursors)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var replaced = false;
        while (!_abandon.IsCancellationRequested)
        {
            try
            {
                _checkpoint?.Invoke(
                    Checkpoint(_offset, _shippedCursor),
                    Checkpoint(_offset + chunk.Count, cursors[^1])
                );
                var next = await _api.AppendLogsAsync(
                    _lease.TaskId,
                    new LogChunkBody(_lease.Epoch, _offset, chunk),
                    _abandon.Token
                );
                var stored = (int)Math.Clamp(next - _offset, 0, chunk.Count);
                _offset += stored;
                if (stored > 0)
                    _shippedCursor = cursors[stored - 1];
                if (stored == chunk.Count)
                {
                    _checkpoint?.Invoke(Checkpoint(_offset, _shippedCursor), null);
                    return true;
                }
                chunk.RemoveRange(0, stored);
                cursors.RemoveRange(0, stored);
            }
            catch (StaleLeaseException)
            {
                Stale = true;
                Discard();
                return false;
            }
            catch (AgentProtocolException e) when (IsFinal(e))
            {
                if (replaced)
                {
                    _logger.LogError(
                        "task {Task}: the server refuses this task's log lines ({Error}); dropping its output",
                        _lease.TaskId,
                        e.Message
                    );
                    Discard();
                    return false;
                }
                _logger.LogWarning(
                    "task {Task}: the server refused {Lines} log lines ({Status}); replacing them with a note",
                    _lease.TaskId,
                    chunk.Count,
                    e.Status
                );
                var note = $"hearth: {chunk.Count} lines of output were dropped: the server refused them ({e.Status})";
                var end = cursors[^1];
                chunk.Clear();
                cursors.Clear();
                chunk.Add(new AgentLogLine(_time.GetUtcNow(), LogStream.System, note));
                cursors.Add(end);
                replaced = true;
            }
            catch (Exception e)
                when (e is HttpRequestException or AgentProtocolException or TaskCanceledException
                    && !_abandon.IsCancellationRequested
                )
            {
                _logger.LogWarning("task {Task}: shipping logs failed ({Error}); retrying", _lease.TaskId, e.Message);
                try
                {
                    await Task.Delay(delay, _time, _abandon.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>
    /// Nothing more will be shipped: the sandbox's lines are dropped from now on, so its reader never waits.
    /// </summary>
    private void Discard()
    {
        _discard = true;
        _budget.Open();
        while (_lines.Reader.TryRead(out _)) { }
    }

    /// <summary>A line waiting to be shipped, and where the sandbox's output stood after it.</summary>
    /// <param name="Unfinished">The stream's next line continues this one.</param>
    private readonly record struct Entry(AgentLogLine Line, OutputCursor After, bool Unfinished);
}
