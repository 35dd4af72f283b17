using System.Collections.Concurrent;
using System.Threading.Channels;
using Hearth.Core.Services;

namespace Hearth.Server.Services;

/// <summary>
/// Exec sessions into service replicas, relayed through this server: agents are pull-based, so a user's exec waits here
/// for the agent that runs the replica to take it (its exec long-poll), and the lines the agent posts are handed to the
/// user's open answer. Sessions live in this server's memory only: the user's request and the agent's poll must reach
/// the same server (docs/services.md). A session whose user has gone is forgotten, and the agent's next post is told
/// so.
/// </summary>
public sealed class ExecRelay
{
    private readonly ConcurrentDictionary<string, Channel<Session>> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public sealed class Session(string agentId, ExecSessionView view)
    {
        public string AgentId { get; } = agentId;
        public ExecSessionView View { get; } = view;
        public TaskCompletionSource Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Channel<ExecOutputBody> Output { get; } =
            Channel.CreateBounded<ExecOutputBody>(
                new BoundedChannelOptions(256) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }
            );
    }

    /// <summary>
    /// Opens a session for the agent <paramref name="agentId"/>; dispose the registration when the user has gone.
    /// </summary>
    public Session Open(string agentId, string taskId, long epoch, IReadOnlyList<string> command)
    {
        var session = new Session(agentId, new ExecSessionView(Guid.NewGuid().ToString("N"), taskId, epoch, command));
        _sessions[session.View.SessionId] = session;
        Queue(agentId).Writer.TryWrite(session);
        return session;
    }

    public void Close(Session session)
    {
        _sessions.TryRemove(session.View.SessionId, out _);
        session.Output.Writer.TryComplete();
    }

    /// <summary>
    /// The sessions waiting for <paramref name="agentId"/>, after waiting up to <paramref name="wait"/> for one.
    /// </summary>
    public async Task<IReadOnlyList<ExecSessionView>> TakeAsync(
        string agentId,
        TimeSpan wait,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var queue = Queue(agentId);
        var taken = new List<ExecSessionView>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        try
        {
            if (wait > TimeSpan.Zero)
                await queue.Reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        while (queue.Reader.TryRead(out var session))
        {
            // A session its user left before the agent came is dropped here.
            if (!_sessions.ContainsKey(session.View.SessionId))
                continue;
            session.Taken.TrySetResult();
            taken.Add(session.View);
        }
        return taken;
    }

    /// <summary>
    /// Hands an agent's post to the session's user; false when the session is gone (the agent stops the command).
    /// </summary>
    /// <remarks>The session id (random, 128 bits) is known only to the agent that took the session.</remarks>
    public async Task<bool> PostAsync(string sessionId, ExecOutputBody body, CancellationToken ct)
    {
        if (!_sessions.TryGetValue(sessionId, out var session))
            return false;
        try
        {
            await session.Output.Writer.WriteAsync(body, ct);
        }
        catch (ChannelClosedException)
        {
            return false;
        }
        if (body.Done)
            session.Output.Writer.TryComplete();
        return true;
    }

    private Channel<Session> Queue(string agentId) =>
        _waiting.GetOrAdd(agentId, _ =>
            Channel.CreateUnbounded<Session>(new UnboundedChannelOptions { SingleReader = false })
        );
}
