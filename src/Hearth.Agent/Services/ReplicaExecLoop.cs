using System.Threading.Channels;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Services;

/// <summary>
/// The agent's end of <c>hearth exec</c>: long-polls the server for exec sessions into the replicas it runs, runs each
/// through the replica sandbox's driver exec, and posts its lines in batches, then its exit code. A session the server
/// says is gone (its user left) stops the command. Stdin is not forwarded: the driver's exec takes none.
/// </summary>
public sealed class ReplicaExecLoop(AgentApiClient api, ServiceRuntime services, ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan PollSeconds = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(50);

    public async Task RunAsync(string agentId, CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        var running = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<ExecSessionView>? sessions;
            try
            {
                sessions = await api.PollExecAsync(new ExecPollBody(agentId, PollSeconds.TotalSeconds), stop);
                backoff = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                logger.LogDebug("exec poll failed ({Error}); retrying in {Delay}", e.Message, backoff);
                if (!await DelayAsync(backoff, stop))
                    break;
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                continue;
            }
            if (sessions is null)
            {
                logger.LogInformation(
                    "the server has no exec endpoint (404): hearth exec into this agent's replicas is off"
                );
                return;
            }
            running.RemoveAll(t => t.IsCompleted);
            running.AddRange(sessions.Select(s => Task.Run(() => ServeAsync(s, stop), CancellationToken.None)));
        }
        await Task.WhenAll(running);
    }

    /// <summary>Runs one session to its end; never throws.</summary>
    public async Task ServeAsync(ExecSessionView session, CancellationToken stop)
    {
        if (services.ExecTarget(session.TaskId, session.Epoch) is not { } sandbox)
        {
            await FinishAsync(
                session,
                new ExecOutputBody([], true, null, $"task {session.TaskId} is not running on this agent")
            );
            return;
        }
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var lines = Channel.CreateUnbounded<ExecLine>(new UnboundedChannelOptions { SingleReader = true });
        var shipping = ShipAsync(session, lines.Reader, gone);
        ExecOutputBody last;
        try
        {
            var exit = await sandbox.ExecAsync(session.Command, new Lines(lines.Writer), gone.Token);
            last = new ExecOutputBody([], true, exit.ExitCode);
        }
        catch (OperationCanceledException)
        {
            last = new ExecOutputBody([], true, null, "stopped: the session's user left, or the agent is stopping");
        }
        catch (Exception e)
            when (e
                    is SandboxCapabilityException
                        or InvalidOperationException
                        or ArgumentException
                        or System.ComponentModel.Win32Exception
                        or IOException
            )
        {
            last = new ExecOutputBody([], true, null, e.Message);
        }
        lines.Writer.TryComplete();
        await shipping;
        await FinishAsync(session, last);
    }

    /// <summary>
    /// Posts the lines in batches; a session the server no longer has cancels <paramref name="gone"/>.
    /// </summary>
    private async Task ShipAsync(ExecSessionView session, ChannelReader<ExecLine> reader, CancellationTokenSource gone)
    {
        var batch = new List<ExecLine>();
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                await Task.Delay(Batch, time);
                while (batch.Count < 500 && reader.TryRead(out var line))
                    batch.Add(line);
                if (batch.Count == 0)
                    continue;
                if (
                    !await api.PostExecOutputAsync(session.SessionId, new ExecOutputBody(batch), CancellationToken.None)
                )
                {
                    await gone.CancelAsync();
                    return;
                }
                batch = [];
            }
        }
        catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
        {
            logger.LogWarning(
                "exec session {Session}: could not post its output ({Error}); stopping it",
                session.SessionId,
                e.Message
            );
            await gone.CancelAsync();
        }
    }

    private async Task FinishAsync(ExecSessionView session, ExecOutputBody body)
    {
        try
        {
            await api.PostExecOutputAsync(session.SessionId, body, CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
        {
            logger.LogWarning("exec session {Session}: could not post its end ({Error})", session.SessionId, e.Message);
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, time, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class Lines(ChannelWriter<ExecLine> writer) : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
        {
            writer.TryWrite(new ExecLine(stream == OutputStream.Stderr ? "stderr" : "stdout", line));
            return ValueTask.CompletedTask;
        }
    }
}
