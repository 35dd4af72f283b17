using System.Threading.Channels;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Secrets;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// Collects a sandbox's lines and ships them in numbered chunks. A chunk is kept until the server acknowledged it,
/// so a retried chunk is stored once (the server skips lines it has) and nothing is lost across a network blip.
/// A full buffer slows the sandbox's reader down instead of dropping lines. Nothing is shipped until the task's
/// <see cref="RunningReport"/> window is over: a task that ends first hands its lines to its result instead.
/// </summary>
public sealed class LogShipper : ISandboxOutput
{
    private const int MaxChunk = 1000;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);
    private readonly Channel<AgentLogLine> _lines = Channel.CreateBounded<AgentLogLine>(new BoundedChannelOptions(20_000) { SingleReader = true });
    private readonly AgentApiClient _api;
    private readonly LeaseView _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly CancellationTokenSource _abandon = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RunningReport _report;
    private readonly SecretMasker _masker;
    private string? _lastShipped;
    private long _offset;

    public LogShipper(AgentApiClient api, LeaseView lease, RunningReport report, TimeProvider time, ILogger logger)
    {
        _api = api;
        _report = report;
        _lease = lease;
        _time = time;
        _logger = logger;
        _masker = new SecretMasker(lease.SecretEnv?.Values ?? []);
        _loop = Task.Run(ShipAsync);
    }

    /// <summary>Set when the server said the lease is stale: nothing more will be accepted.</summary>
    public bool Stale { get; private set; }

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        WriteAsync(stream == OutputStream.Stderr ? LogStream.Stderr : LogStream.Stdout, line, cancellationToken);

    public ValueTask WriteAsync(LogStream stream, string line, CancellationToken cancellationToken)
    {
        if (Stale) return ValueTask.CompletedTask;
        // A chunk's worth held back: the task is not short, and its lines should be on their way.
        if (!_report.WindowOver.IsCompleted && _lines.Reader.Count >= MaxChunk) _report.EndWindow();
        return _lines.Writer.WriteAsync(new AgentLogLine(_time.GetUtcNow(), stream, line), cancellationToken);
    }

    /// <summary>
    /// No more lines will come: ships what is left and returns when the server has it (or gave up). Returns the lines
    /// never shipped because the window was still open, masked, numbered from 0, for the result to carry.
    /// </summary>
    public async Task<List<AgentLogLine>> FlushAndCloseAsync(CancellationToken leaseLost)
    {
        _closed.TrySetResult();
        _lines.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(leaseLost);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("task {Task}: the lease was lost before the last lines were shipped; abandoning them", _lease.TaskId);
            await _abandon.CancelAsync();
            return [];
        }
        var held = new List<AgentLogLine>();
        while (_lines.Reader.TryRead(out var line)) held.Add(line);
        Mask(held);
        return held;
    }

    private async Task ShipAsync()
    {
        var ready = _report.ShipReadyAsync();
        await Task.WhenAny(ready, _closed.Task);
        if (!ready.IsCompleted) return;
        var chunk = new List<AgentLogLine>(MaxChunk);
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (chunk.Count < MaxChunk && reader.TryRead(out var line)) chunk.Add(line);
            if (chunk.Count < MaxChunk && !reader.Completion.IsCompleted)
            {
                await Task.Delay(Linger, _time);
                while (chunk.Count < MaxChunk && reader.TryRead(out var line)) chunk.Add(line);
            }
            Mask(chunk);
            if (!await SendAsync(chunk)) return;
            chunk.Clear();
        }
    }

    /// <summary>
    /// Secrets are masked here, before lines leave the host, and again by the server before it stores them. A value cut
    /// by a line split is caught within a chunk; across chunks only its second part can be (the first is shipped).
    /// </summary>
    private void Mask(List<AgentLogLine> chunk)
    {
        if (_masker.IsEmpty || chunk.Count == 0) return;
        var texts = chunk.Select(l => _masker.Apply(l.Text)).ToArray();
        if (_lastShipped is not null) texts[0] = _masker.ApplyAcross(_lastShipped, texts[0]).Right;
        for (var i = 1; i < texts.Length; i++) (texts[i - 1], texts[i]) = _masker.ApplyAcross(texts[i - 1], texts[i]);
        for (var i = 0; i < texts.Length; i++) chunk[i] = chunk[i] with { Text = texts[i] };
        _lastShipped = texts[^1];
    }

    private async Task<bool> SendAsync(List<AgentLogLine> chunk)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!_abandon.IsCancellationRequested)
        {
            try
            {
                var next = await _api.AppendLogsAsync(_lease.TaskId, new LogChunkBody(_lease.Epoch, _offset, chunk), _abandon.Token);
                var stored = (int)Math.Clamp(next - _offset, 0, chunk.Count);
                _offset += stored;
                if (stored == chunk.Count) return true;
                chunk.RemoveRange(0, stored);
            }
            catch (StaleLeaseException)
            {
                Stale = true;
                while (_lines.Reader.TryRead(out _)) { }
                return false;
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException && !_abandon.IsCancellationRequested)
            {
                _logger.LogWarning("task {Task}: shipping logs failed ({Error}); retrying", _lease.TaskId, e.Message);
                await Task.Delay(delay, _time);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return false;
    }
}
