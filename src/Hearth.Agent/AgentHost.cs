using Hearth.Core.Api;
using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// One agent: registers, then runs one lease loop per slot of capacity. <c>drain</c> stops asking for work
/// (a poll in flight is ended by the server, so a task granted in it is never dropped); <c>shutdown</c> also
/// stops running tasks. The agent owns its scratch root while it runs (one agent per scratch root); with
/// <paramref name="orphanSources"/>, what an earlier run left there is reaped before the first lease, and again every
/// <see cref="AgentOptions.ReapInterval"/>.
/// </summary>
public sealed class AgentHost(AgentOptions options, DriverSet drivers, TimeProvider time, ILoggerFactory loggers,
    IReadOnlyList<IOrphanSource>? orphanSources = null)
{
    private readonly ILogger _logger = loggers.CreateLogger("hearth.agent");
    private readonly LiveSandboxes _live = new();

    public string? AgentId { get; private set; }

    public async Task RunAsync(CancellationToken drain, CancellationToken shutdown)
    {
        using var owner = Claim();
        var reaper = orphanSources is null ? null
            : new ReaperLoop(new OrphanReaper(orphanSources, options.ScratchRoot, _live), options.ReapInterval, time, _logger);
        if (reaper is not null) await ReapAtStartAsync(reaper, shutdown);
        if (shutdown.IsCancellationRequested) return;
        using var reaping = new CancellationTokenSource();
        var periodic = reaper is null ? Task.CompletedTask : Task.Run(() => reaper.RunAsync(reaping.Token), CancellationToken.None);
        try
        {
            await RunRegisteredAsync(drain, shutdown);
        }
        finally
        {
            await reaping.CancelAsync();
            await periodic;
        }
    }

    private SandboxOwner Claim()
    {
        try
        {
            return SandboxOwner.TryClaim(options.ScratchRoot) ?? throw new AgentRefusedException(
                $"another agent (pid {SandboxOwner.Holder(options.ScratchRoot)}) uses the scratch directory {options.ScratchRoot}; " +
                "give each agent its own (--scratch)");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new AgentRefusedException($"cannot use the scratch directory {options.ScratchRoot}: {e.Message}");
        }
    }

    /// <summary>An earlier run of this agent may have left sandboxes running (a kill -9): they go before any new lease.</summary>
    private async Task ReapAtStartAsync(ReaperLoop reaper, CancellationToken shutdown)
    {
        try
        {
            var report = await reaper.ReapOnceAsync(shutdown);
            if (report.Resources.Count > 0)
                _logger.LogWarning("reaped {Removed} orphaned sandbox resources at start ({Failed} could not be removed)", report.Removed, report.Failed);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _logger.LogError("the orphan reaper failed at start: {Error}", e.Message);
        }
    }

    private async Task RunRegisteredAsync(CancellationToken drain, CancellationToken shutdown)
    {
        using var http = AgentApiClient.CreateHttpClient(options);
        var api = new AgentApiClient(http);
        var registration = await RegisterAsync(api, drain);
        if (registration is null) return;
        AgentId = registration.AgentId;
        _logger.LogInformation("agent {Name} registered as {Id} with {Server}; default driver {Driver}", options.Name, registration.AgentId,
            options.Server, drivers.Default?.Name ?? "none");

        var runner = new TaskRunner(api, drivers, options, time, _logger);
        using var drainHook = drain.Register(() => _ = api.DrainAsync(registration.AgentId, CancellationToken.None));
        var slots = Enumerable.Range(0, options.Capacity)
            .Select(_ => Task.Run(() => SlotAsync(api, runner, registration, drain, shutdown), CancellationToken.None))
            .ToList();
        await Task.WhenAll(slots);
        _logger.LogInformation("agent {Id} stopped", registration.AgentId);
    }

    private async Task SlotAsync(AgentApiClient api, TaskRunner runner, RegisterAgentView registration, CancellationToken drain, CancellationToken shutdown)
    {
        var heartbeat = TimeSpan.FromSeconds(registration.HeartbeatSeconds);
        var ttl = TimeSpan.FromSeconds(registration.LeaseTtlSeconds);
        var backoff = TimeSpan.FromMilliseconds(500);
        // The next task may come with the last one's result; one granted that way is run even when a drain began meanwhile.
        LeaseView? granted = null;
        LeaseBody? AskForNext() => drain.IsCancellationRequested || shutdown.IsCancellationRequested ? null : new LeaseBody(registration.AgentId, 0);
        while (granted is not null || !drain.IsCancellationRequested)
        {
            if (granted is not null)
            {
                using (_live.Hold(granted))
                {
                    granted = await runner.RunAsync(granted, heartbeat, ttl, AskForNext, shutdown);
                }
                continue;
            }
            LeaseView? lease;
            try
            {
                // Not cancelled by drain: the server ends this poll when told we drain, and a lease it returns is run.
                lease = await api.LeaseAsync(new LeaseBody(registration.AgentId, registration.LongPollSeconds), shutdown);
                backoff = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                _logger.LogWarning("lease poll failed ({Error}); retrying in {Delay}", e.Message, backoff);
                await DelayAsync(backoff, drain);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                continue;
            }
            if (lease is null) continue;
            _logger.LogDebug("leased task {Task} of run {Run} (attempt {Attempt}, epoch {Epoch})", lease.TaskId, lease.RunId, lease.Attempt, lease.Epoch);
            granted = lease;
        }
    }

    private async Task<RegisterAgentView?> RegisterAsync(AgentApiClient api, CancellationToken drain)
    {
        var labels = new Dictionary<string, string>(drivers.Labels(), StringComparer.Ordinal);
        foreach (var (key, value) in options.Labels) labels[key] = value;
        labels.TryAdd("hostname", Environment.MachineName);
        labels.TryAdd("arch", System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant());
        var body = new RegisterAgentBody(options.Name, labels, options.Capacity, options.Version);
        var delay = TimeSpan.FromMilliseconds(250);
        while (!drain.IsCancellationRequested)
        {
            try
            {
                return await api.RegisterAsync(body, drain);
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                return null;
            }
            catch (AgentProtocolException e) when (e.Status is 401 or 403)
            {
                throw new AgentRefusedException($"the server at {options.Server} refused this agent's token ({ErrorOf(e)})");
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                _logger.LogWarning("cannot register with {Server} ({Error}); retrying in {Delay}", options.Server, e.Message, delay);
                await DelayAsync(delay, drain);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
        return null;
    }

    /// <summary>The server's own words when it answered with an error body ({"error": …}), else the whole answer.</summary>
    private static string ErrorOf(AgentProtocolException e)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(e.Body);
            return json.RootElement.TryGetProperty("error", out var error) ? $"{e.Status}: {error.GetString()}" : e.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Message;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
