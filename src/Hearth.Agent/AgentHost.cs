using Hearth.Core.Api;
using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// One agent: takes its state directory, registers, takes up the sandboxes an earlier agent on that directory left
/// running, then runs one lease loop that asks for as many tasks as it has free slots in each exchange. <c>drain</c>
/// stops asking for work (a poll in flight is ended by the server, so a task granted in it is never dropped);
/// <c>shutdown</c> also stops running tasks. The agent owns its scratch root while it runs (one agent per scratch
/// root); with <paramref name="orphanSources"/>, what an earlier run left there is reaped before the first lease, and
/// again every <see cref="AgentOptions.ReapInterval"/>.
/// </summary>
public sealed class AgentHost(
    AgentOptions options,
    DriverSet drivers,
    TimeProvider time,
    ILoggerFactory loggers,
    IReadOnlyList<IOrphanSource>? orphanSources = null
)
{
    private readonly ILogger _logger = loggers.CreateLogger("hearth.agent");
    private readonly LiveSandboxes _live = new();
    private readonly TaskCompletionSource<Uri?> _metricsUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? AgentId { get; private set; }

    /// <summary>
    /// This agent's instruments (exported at its /metrics when <see cref="AgentOptions.MetricsListen"/> is set).
    /// </summary>
    public Telemetry.AgentMetrics Metrics { get; } = new();

    /// <summary>The agent's /metrics URL once its listener is up; null when it has none.</summary>
    public Task<Uri?> MetricsUrl => _metricsUrl.Task;

    public async Task RunAsync(CancellationToken drain, CancellationToken shutdown)
    {
        Telemetry.AgentTelemetry telemetry;
        try
        {
            telemetry = await Telemetry.AgentTelemetry.StartAsync(options, Metrics, shutdown);
        }
        catch (Exception e)
        {
            _metricsUrl.TrySetException(e);
            throw;
        }
        await using var _ = telemetry;
        foreach (var driver in drivers.Names.Select(drivers.Resolve).OfType<Hearth.Sandbox.IInstrumentedDriver>())
            driver.AddInstruments(Metrics.Meter);
        _metricsUrl.TrySetResult(telemetry.MetricsUrl);
        if (telemetry.MetricsUrl is { } url)
            _logger.LogInformation("metrics at {Url}", url);
        await RunClaimedAsync(drain, shutdown);
    }

    private async Task RunClaimedAsync(CancellationToken drain, CancellationToken shutdown)
    {
        using var owner = Claim();
        using var state = AgentState.Take(options, _logger);
        var journal = new SandboxJournal(state.Directory);
        // What an earlier agent on this state directory left running is recovered, not reaped.
        _live.Include(() => journal.Load().Records.Select(r => r.Handle.SandboxId));
        var warming = drivers.Names.Select(drivers.Resolve).OfType<Hearth.Sandbox.IWarmingDriver>().ToList();
        foreach (var driver in warming)
            _live.Include(driver.KeptSandboxIds);
        var reaper = orphanSources is null
            ? null
            : new ReaperLoop(
                new OrphanReaper(orphanSources, options.ScratchRoot, _live),
                options.ReapInterval,
                time,
                _logger,
                Metrics
            );
        if (reaper is not null)
            await ReapAtStartAsync(reaper, shutdown);
        if (shutdown.IsCancellationRequested)
            return;
        using var reaping = new CancellationTokenSource();
        var periodic = reaper is null
            ? Task.CompletedTask
            : Task.Run(() => reaper.RunAsync(reaping.Token), CancellationToken.None);
        // Sandboxes kept ready (warm pools) are made once the scratch root is this agent's and its leftovers are gone.
        foreach (var driver in warming)
            driver.StartWarming();
        try
        {
            await RunRegisteredAsync(journal, drain, shutdown);
        }
        finally
        {
            foreach (var driver in warming)
                await driver.StopWarmingAsync();
            await reaping.CancelAsync();
            await periodic;
        }
    }

    private SandboxOwner Claim()
    {
        try
        {
            return SandboxOwner.TryClaim(options.ScratchRoot)
                ?? throw new AgentRefusedException(
                    $"another agent (pid {SandboxOwner.Holder(options.ScratchRoot)}) uses the scratch directory {options.ScratchRoot}; "
                        + "give each agent its own (--scratch)"
                );
        }
        catch (UnauthorizedAccessException e)
        {
            throw new AgentRefusedException($"cannot use the scratch directory {options.ScratchRoot}: {e.Message}");
        }
    }

    /// <summary>
    /// An earlier run of this agent may have left sandboxes running (a kill -9): they go before any new lease.
    /// </summary>
    private async Task ReapAtStartAsync(ReaperLoop reaper, CancellationToken shutdown)
    {
        try
        {
            var report = await reaper.ReapOnceAsync(shutdown);
            if (report.Resources.Count > 0)
                _logger.LogWarning(
                    "reaped {Removed} orphaned sandbox resources at start ({Failed} could not be removed)",
                    report.Removed,
                    report.Failed
                );
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested) { }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _logger.LogError("the orphan reaper failed at start: {Error}", e.Message);
        }
    }

    private async Task RunRegisteredAsync(SandboxJournal journal, CancellationToken drain, CancellationToken shutdown)
    {
        using var http = AgentApiClient.CreateHttpClient(options);
        var api = new AgentApiClient(http);
        var registration = await RegisterAsync(api, drain);
        if (registration is null)
            return;
        AgentId = registration.AgentId;
        _logger.LogInformation(
            "agent {Name} registered as {Id} with {Server}; default driver {Driver}",
            options.Name,
            registration.AgentId,
            options.Server,
            drivers.Default?.Name ?? "none"
        );

        using var gitlabHttp = GitLab.GitLabArtifactsClient.CreateHttpClient();
        var ciJobs = new GitLab.CiJobPhases(
            new GitLab.GitLabArtifactsClient(gitlabHttp, options.GitLabRetryDelay),
            Path.Combine(journal.Directory, "gitlab-cache")
        );
        await using var services = new Services.ServiceRuntime(api, journal.Root, time, _logger, options.Services);
        var runner = new TaskRunner(api, drivers, options, time, _logger, journal, Metrics, ciJobs, services);
        var recoveries = Recover(journal, runner, registration, shutdown);
        using var drainHook = drain.Register(() => _ = api.DrainAsync(registration.AgentId, CancellationToken.None));
        var running = new List<Task>();
        using var execStop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        var exec = new Services.ReplicaExecLoop(api, services, _logger, time).RunAsync(
            registration.AgentId,
            execStop.Token
        );
        var sweeper = new Services.VolumeSweeper(api, services, options.Name, _logger, time).RunAsync(execStop.Token);
        try
        {
            await LeaseLoopAsync(api, runner, registration, running, drain, shutdown);
        }
        finally
        {
            // Tasks granted before the loop ended run to their end (or until shutdown stops them).
            await Task.WhenAll([.. running, .. recoveries]);
            await execStop.CancelAsync();
            await Task.WhenAll(exec, sweeper);
        }
        _logger.LogInformation("agent {Id} stopped", registration.AgentId);
    }

    /// <summary>
    /// Asks for as many tasks as slots are free in one long-poll, and runs each granted task in a slot of its own until
    /// the agent drains. A server that does not speak this agent's protocol stops the agent (it cannot get better).
    /// </summary>
    private async Task LeaseLoopAsync(
        AgentApiClient api,
        TaskRunner runner,
        RegisterAgentView registration,
        List<Task> running,
        CancellationToken drain,
        CancellationToken shutdown
    )
    {
        var slots = new Slots(options.Capacity);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(drain, shutdown);
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!drain.IsCancellationRequested)
        {
            IReadOnlyList<Assignment> assignments;
            try
            {
                var free = await slots.WaitFreeAsync(stopping.Token);
                // Not cancelled by drain: the server ends this poll when told we drain, and what it returns is run.
                var request = new LeaseRequest(registration.AgentId, free, registration.LongPollSeconds);
                var answer = await api.LeaseAsync(request, shutdown);
                assignments = answer.Assignments;
                foreach (var hint in answer.Prewarm ?? [])
                    Prewarm(hint);
                backoff = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested || shutdown.IsCancellationRequested)
            {
                return;
            }
            catch (AgentProtocolUnsupportedException e)
            {
                throw new AgentRefusedException($"the server at {options.Server} refused this agent: {e.Message}");
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                _logger.LogWarning("lease poll failed ({Error}); retrying in {Delay}", e.Message, backoff);
                await DelayAsync(backoff, drain);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                continue;
            }
            foreach (var assignment in assignments)
            {
                _logger.LogDebug(
                    "leased task {Task} of run {Run} (attempt {Attempt}, epoch {Epoch})",
                    assignment.TaskId,
                    assignment.RunId,
                    assignment.Attempt,
                    assignment.Epoch
                );
                slots.Take();
                running.Add(
                    Task.Run(
                        () => SlotAsync(runner, registration, assignment, slots, drain, shutdown),
                        CancellationToken.None
                    )
                );
            }
            running.RemoveAll(t => t.IsCompleted);
        }
    }

    /// <summary>
    /// A prewarm hint from the server: the driver readies a sandbox within its own limits, or says why not.
    /// </summary>
    private void Prewarm(PrewarmHint hint)
    {
        if (drivers.Resolve(hint.Driver) is not Hearth.Sandbox.IWarmingDriver driver)
        {
            Metrics.PrewarmHint(hint.Driver, "declined");
            _logger.LogInformation(
                "prewarm hint for {Driver} ({Reason}) ignored: no such driver keeps sandboxes ready here",
                hint.Driver,
                hint.Reason
            );
            return;
        }
        var declined = driver.TryPrewarm(hint.Image, hint.Cpus, hint.MemoryBytes, hint.Network);
        Metrics.PrewarmHint(hint.Driver, declined is null ? "started" : "declined");
        if (declined is null)
            _logger.LogInformation(
                "pre-warming a {Driver} sandbox of {Cpus} CPU(s) and {Memory} MiB from {Image} ({Reason})",
                hint.Driver,
                hint.Cpus,
                hint.MemoryBytes >> 20,
                hint.Image,
                hint.Reason
            );
        else
            _logger.LogInformation("prewarm hint ({Reason}) declined: {Why}", hint.Reason, declined);
    }

    /// <summary>
    /// One slot: runs its task, then the task each result brought back (a short task's next costs no poll), then gives
    /// the slot back. One granted with a result is run even when a drain began meanwhile.
    /// </summary>
    private async Task SlotAsync(
        TaskRunner runner,
        RegisterAgentView registration,
        Assignment first,
        Slots slots,
        CancellationToken drain,
        CancellationToken shutdown
    )
    {
        var heartbeat = TimeSpan.FromSeconds(registration.HeartbeatSeconds);
        var ttl = TimeSpan.FromSeconds(registration.LeaseTtlSeconds);
        AgentRef? AskForNext() =>
            drain.IsCancellationRequested || shutdown.IsCancellationRequested
                ? null
                : new AgentRef(registration.AgentId);
        try
        {
            for (Assignment? granted = first; granted is not null; )
            {
                using (_live.Hold(granted))
                {
                    granted = await runner.RunAsync(granted, heartbeat, ttl, AskForNext, shutdown);
                }
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>One task per sandbox record left in the state directory: each is recovered or destroyed.</summary>
    private List<Task> Recover(
        SandboxJournal journal,
        TaskRunner runner,
        RegisterAgentView registration,
        CancellationToken shutdown
    )
    {
        var (records, unreadable) = journal.Load();
        foreach (var (path, error) in unreadable)
            _logger.LogError(
                "cannot read sandbox record {Path} ({Error}); the orphan reaper will remove what it names",
                path,
                error
            );
        if (records.Count > 0)
            _logger.LogInformation(
                "taking up {Count} sandboxes an earlier agent left in {Directory}",
                records.Count,
                journal.Directory
            );
        var heartbeat = TimeSpan.FromSeconds(registration.HeartbeatSeconds);
        var ttl = TimeSpan.FromSeconds(registration.LeaseTtlSeconds);
        return records
            .Select(record =>
                Task.Run(
                    async () =>
                    {
                        try
                        {
                            await runner.RecoverAsync(record, heartbeat, ttl, shutdown);
                        }
                        catch (Exception e)
                            when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
                        {
                            // The record stays: the next start tries again (or destroys it once its lease is gone).
                            _logger.LogError("task {Task}: recovery failed ({Error})", record.TaskId, e.Message);
                        }
                    },
                    CancellationToken.None
                )
            )
            .ToList();
    }

    private async Task<RegisterAgentView?> RegisterAsync(AgentApiClient api, CancellationToken drain)
    {
        var labels = new Dictionary<string, string>(drivers.Labels(), StringComparer.Ordinal);
        foreach (var (key, value) in options.Labels)
            labels[key] = value;
        labels.TryAdd("hostname", Environment.MachineName);
        labels.TryAdd(
            "arch",
            System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()
        );
        var body = new RegisterAgentBody(options.Name, labels, options.Capacity, options.Version, drivers.Advertised());
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
            catch (AgentProtocolUnsupportedException e)
            {
                throw new AgentRefusedException($"the server at {options.Server} refused this agent: {e.Message}");
            }
            catch (AgentProtocolException e) when (e.Status is 401 or 403)
            {
                throw new AgentRefusedException(
                    $"the server at {options.Server} refused this agent's token ({ErrorOf(e)})"
                );
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                _logger.LogWarning(
                    "cannot register with {Server} ({Error}); retrying in {Delay}",
                    options.Server,
                    e.Message,
                    delay
                );
                await DelayAsync(delay, drain);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
        return null;
    }

    /// <summary>
    /// The server's own words when it answered with an error body ({"error": …}), else the whole answer.
    /// </summary>
    private static string ErrorOf(AgentProtocolException e)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(e.Body);
            return json.RootElement.TryGetProperty("error", out var error)
                ? $"{e.Status}: {error.GetString()}"
                : e.Message;
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
        catch (OperationCanceledException) { }
    }
}
