using Hearth.Agent.GitLab;
using Hearth.Core.Api;
using Hearth.Core.Locks;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent;

/// <summary>
/// Runs one leased task in named phases: prepare (driver, workspace, checkout), start (the sandbox, whose handle is
/// written to the state directory before the server hears the task runs), wait (the lease kept alive beside it, its
/// output shipped), report (the result under the lease's epoch), and clean-up (the sandbox destroyed and its record
/// removed), which runs whatever happened before it. A sandbox an earlier agent left running is taken up at the wait
/// phase (<see cref="RecoverAsync"/>).
/// </summary>
/// <param name="services">What service replicas need beside their sandbox (DNS, volumes, health); null: replicas run as
/// plain tasks.</param>
public sealed class TaskRunner(
    AgentApiClient api,
    DriverSet drivers,
    AgentOptions options,
    TimeProvider time,
    ILogger logger,
    SandboxJournal journal,
    Telemetry.AgentMetrics? metrics = null,
    GitLab.CiJobPhases? ciJobs = null,
    Services.ServiceRuntime? services = null
)
{
    /// <summary>
    /// Runs <paramref name="lease"/>; returns the slot's next assignment when the result, sent with
    /// <paramref name="next"/>
    /// (null when the slot takes no more work), brought one back.
    /// </summary>
    public Task<Assignment?> RunAsync(
        Assignment lease,
        TimeSpan heartbeatInterval,
        TimeSpan leaseTtl,
        Func<AgentRef?> next,
        CancellationToken shutdown
    ) => SuperviseAsync(lease, heartbeatInterval, leaseTtl, next, shutdown, recovered: null);

    /// <summary>
    /// Takes up a sandbox an earlier agent on this state directory started. If its lease is gone (expired, or the task
    /// ended), the sandbox is stopped and destroyed: the server has given the task to someone else. Otherwise it is
    /// recovered, not restarted: its output is shipped from where the server has it, and its result is reported under
    /// the same epoch. A driver that cannot recover reports the attempt failed, after destroying what is left.
    /// </summary>
    public async Task RecoverAsync(
        SandboxRecord record,
        TimeSpan heartbeatInterval,
        TimeSpan leaseTtl,
        CancellationToken shutdown
    )
    {
        // What supervising a recovered sandbox needs of its assignment: the task and its lease (the rest ran already).
        var lease = new Assignment(
            record.TaskId,
            record.RunId,
            TaskKind.Command,
            record.Epoch,
            record.Attempt,
            time.GetUtcNow(),
            [],
            new Dictionary<string, string>(),
            new SandboxRequest(record.Handle.Driver, null, null, false, [], null, null, null)
        )
        {
            Service = record.Service,
        };
        var driver = drivers.Resolve(record.Handle.Driver);
        long serverOffset;
        try
        {
            var beat = await api.HeartbeatAsync(record.TaskId, new HeartbeatBody(record.Epoch, null), shutdown);
            if (beat is { Ended: true })
                throw new StaleLeaseException(record.TaskId);
            serverOffset = await api.AppendLogsAsync(record.TaskId, new LogChunkBody(record.Epoch, 0, []), shutdown);
        }
        catch (StaleLeaseException)
        {
            logger.LogWarning(
                "task {Task} attempt {Attempt}: its lease is gone; destroying the sandbox an earlier agent left ({Sandbox})",
                record.TaskId,
                record.Attempt,
                record.Handle.SandboxId
            );
            await DestroyLeftoverAsync(driver, record);
            return;
        }
        var from = record.InFlight is { } inFlight && inFlight.Line == serverOffset ? inFlight : record.Shipped;
        if (from.Line != serverOffset)
            logger.LogWarning(
                "task {Task}: the server has {Server} lines, the record says {Record}; resuming from the record",
                record.TaskId,
                serverOffset,
                from.Line
            );
        await SuperviseAsync(
            lease,
            heartbeatInterval,
            leaseTtl,
            () => null,
            shutdown,
            new Recovered(record, driver, from)
        );
    }

    /// <summary>
    /// How long a stopped task has before it is killed: a service's stop_grace_period, else <c>--kill-grace</c>.
    /// </summary>
    private TimeSpan StopGrace(Assignment lease) => lease.Service?.Container?.StopGracePeriod ?? options.KillGrace;

    /// <summary>What asks a task to stop: a service's stop_signal, else SIGTERM.</summary>
    private static StopSignal StopSignalOf(Assignment lease) =>
        lease.Service?.Container?.StopSignal is { } name
            ? (StopSignal)Core.Services.StopSignals.Number(name)
            : StopSignal.Terminate;

    private sealed record Recovered(SandboxRecord Record, ISandboxDriver? Driver, LogCheckpoint From);

    private async Task DestroyLeftoverAsync(ISandboxDriver? driver, SandboxRecord record)
    {
        try
        {
            if (driver is null)
                throw new SandboxRecoveryException(
                    $"driver '{record.Handle.Driver}' is not allowed on this agent any more"
                );
            await driver.DestroyAsync(record.Handle, CancellationToken.None);
        }
        catch (Exception e)
            when (e is SandboxRecoveryException or IOException or UnauthorizedAccessException or AggregateException)
        {
            logger.LogError(
                "task {Task}: could not destroy sandbox {Sandbox} ({Error}); the orphan reaper will",
                record.TaskId,
                record.Handle.SandboxId,
                e.Message
            );
        }
        finally
        {
            journal.Delete(record.Handle.SandboxId);
            if (record.Workspace is { } workspace)
                Workspace.Reopen(workspace).Dispose();
        }
    }

    private async Task<Assignment?> SuperviseAsync(
        Assignment lease,
        TimeSpan heartbeatInterval,
        TimeSpan leaseTtl,
        Func<AgentRef?> next,
        CancellationToken shutdown,
        Recovered? recovered
    )
    {
        using var span = Telemetry.AgentActivities.StartTask(lease);
        // Every line logged while the task runs names it.
        using var scope = logger.BeginScope<KeyValuePair<string, object?>[]>([
            new("run_id", lease.RunId),
            new("task_id", lease.TaskId),
            new("attempt", lease.Attempt),
        ]);
        var control = new TaskControl();
        var replica = new System.Runtime.CompilerServices.StrongBox<Services.ServiceRuntime.Replica?>();
        var report = new RunningReport(at => ReportRunningAsync(lease, at, control, replica.Value?.Addresses));
        var keeper = new RecordKeeper(journal, recovered?.Record);
        var shipper = new LogShipper(api, lease, report, time, logger, recovered?.From, keeper.Checkpoint);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = Task.Run(() =>
            HeartbeatAsync(lease, report, control, heartbeatInterval, leaseTtl, heartbeatStop.Token)
        );
        using var shutdownHook = shutdown.Register(() => control.RequestStop(StopReason.None, "agent shutting down"));
        // A recovered task has run for a while already: no window.
        using var window = time.CreateTimer(
            _ => report.EndWindow(),
            null,
            recovered is null ? WindowOf(lease, heartbeatInterval) : TimeSpan.Zero,
            Timeout.InfiniteTimeSpan
        );
        await using var teardown = new Teardown(keeper);

        try
        {
            var result = recovered is null
                ? await ExecuteAsync(lease, shipper, report, control, teardown, keeper, replica)
                : await ResumeAsync(lease, recovered, shipper, report, control, teardown, replica);
            control.MarkFinished();
            if (shutdown.IsCancellationRequested && control.StopReason == StopReason.None && result.Error is null)
                result = result with { Error = "agent shut down while the task ran" };

            // The heartbeat keeps the lease while the last lines and the result travel, so a server that is away for a
            // while (a restart) costs nothing; only a lease that is really lost (stale, or no renewal for a whole TTL)
            // ends it. A stopped task's result must not wait behind a backlog of output: its shipping gets a deadline.
            var held = await shipper.FlushAndCloseAsync(
                control.Lost,
                control.StopRequested ? LogShipper.StoppedFlush : null
            );
            if (control.Stale || shipper.Stale)
            {
                logger.LogWarning(
                    "task {Task} attempt {Attempt}: lease lost; result not reported",
                    lease.TaskId,
                    lease.Attempt
                );
                return null;
            }
            // The start is taken once the driver returns, and a fast command may have written by then: its first output
            // is reported no earlier than its start, so the breakdown's steps stay in order.
            var firstOutput =
                shipper.FirstOutputAt is { } first && report.StartedAt is { } start && first < start
                    ? start
                    : shipper.FirstOutputAt;
            return await ReportAsync(
                lease,
                result,
                report,
                held,
                shipper.Offset,
                next(),
                control.Lost,
                firstOutput,
                control.ExitedAt
            );
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>
    /// How long a task may run before the server hears of it. A git checkout reports at once (it is slow anyway, and
    /// its phases should show); a timeout shorter than twice the window shortens it, so the server's clock starts in
    /// time.
    /// </summary>
    private TimeSpan WindowOf(Assignment lease, TimeSpan heartbeatInterval)
    {
        // A replica's addresses (its DNS names elsewhere) and health mean nothing to the server until it hears it runs.
        if (lease.Git is not null || lease.Service is not null)
            return TimeSpan.Zero;
        var window = options.RunningReportDelay < heartbeatInterval ? options.RunningReportDelay : heartbeatInterval;
        return lease.TimeoutSeconds is { } seconds && TimeSpan.FromSeconds(seconds) / 2 < window
            ? TimeSpan.FromSeconds(seconds) / 2
            : window;
    }

    private async Task ReportRunningAsync(
        Assignment lease,
        DateTimeOffset startedAt,
        TaskControl control,
        IReadOnlyDictionary<string, string>? addresses
    )
    {
        try
        {
            await api.MarkRunningAsync(
                lease.TaskId,
                new RunningBody(lease.Epoch, startedAt) { Addresses = addresses },
                CancellationToken.None
            );
        }
        catch (StaleLeaseException)
        {
            control.MarkStale();
        }
        catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
        {
            // The result carries the start time too, so a report lost here is made good at the end.
            logger.LogWarning(
                "task {Task}: could not report running ({Error}); the heartbeat will keep the lease",
                lease.TaskId,
                e.Message
            );
        }
    }

    /// <summary>The wait phase of a sandbox an earlier agent started.</summary>
    private async Task<TaskResult> ResumeAsync(
        Assignment lease,
        Recovered recovered,
        LogShipper shipper,
        RunningReport report,
        TaskControl control,
        Teardown teardown,
        System.Runtime.CompilerServices.StrongBox<Services.ServiceRuntime.Replica?> replica
    )
    {
        var record = recovered.Record;
        teardown.Workspace = record.Workspace is { } workspace ? Workspace.Reopen(workspace) : null;
        ISandbox sandbox;
        try
        {
            if (recovered.Driver is null)
                throw new SandboxRecoveryException(
                    $"driver '{record.Handle.Driver}' is not allowed on this agent any more"
                );
            sandbox = await recovered.Driver.RecoverAsync(
                record.Handle,
                shipper,
                recovered.From.Cursor,
                CancellationToken.None
            );
        }
        catch (SandboxRecoveryException e)
        {
            logger.LogWarning(
                "task {Task} attempt {Attempt}: cannot recover its sandbox ({Error}); destroying it",
                record.TaskId,
                record.Attempt,
                e.Message
            );
            await DestroyLeftoverAsync(recovered.Driver, record);
            await shipper.WriteAsync(
                LogStream.System,
                $"hearth: the agent restarted and could not recover this sandbox: {e.Message}",
                CancellationToken.None
            );
            // Not the command's failure: the attempt is lost with its agent, and retried like one.
            control.Abandon();
            return new TaskResult(null, Error: $"agent restarted: {e.Message}");
        }
        logger.LogInformation(
            "task {Task} attempt {Attempt}: recovered sandbox {Sandbox} (pid {Pid}) from an earlier agent",
            record.TaskId,
            record.Attempt,
            record.Handle.SandboxId,
            sandbox.Pid
        );
        teardown.Sandbox = sandbox;
        if (lease.Service is not null && services is not null)
        {
            try
            {
                replica.Value = teardown.Replica = await services.ResumeAsync(lease, sandbox);
            }
            catch (SandboxStartException e)
            {
                logger.LogWarning(
                    "task {Task}: its replica's DNS could not be taken up again ({Error})",
                    record.TaskId,
                    e.Message
                );
            }
        }
        control.Attach(sandbox, StopGrace(lease), StopSignalOf(lease));
        await report.StartedAsync(record.StartedAt);
        using var checks = new CancellationTokenSource();
        var health = services?.MonitorHealthAsync(lease, sandbox, checks.Token) ?? Task.CompletedTask;
        try
        {
            return await WaitAsync(record.TaskId, record.Attempt, sandbox);
        }
        finally
        {
            await checks.CancelAsync();
            await health;
        }
    }

    private async Task<TaskResult> WaitAsync(string taskId, int attempt, ISandbox sandbox)
    {
        SandboxExit exit;
        try
        {
            exit = await sandbox.WaitAsync(CancellationToken.None);
        }
        catch (IOException e)
        {
            return new TaskResult(null, Error: $"sandbox failed: {e.Message}");
        }
        // A line per task is noise at fleet rates: successes only at Debug.
        logger.Log(
            exit.ExitCode == 0 ? LogLevel.Debug : LogLevel.Information,
            "task {Task} attempt {Attempt} exited {Code}{Oom}",
            taskId,
            attempt,
            exit.ExitCode,
            exit.OomKilled ? " (OOM)" : ""
        );
        return new TaskResult(exit.ExitCode, exit.OomKilled);
    }

    private async Task<TaskResult> ExecuteAsync(
        Assignment lease,
        LogShipper shipper,
        RunningReport report,
        TaskControl control,
        Teardown teardown,
        RecordKeeper keeper,
        System.Runtime.CompilerServices.StrongBox<Services.ServiceRuntime.Replica?> replica
    )
    {
        var driver = drivers.Resolve(lease.Sandbox.Driver, lease.Sandbox.Image is not null);
        if (driver is null)
            return new TaskResult(
                null,
                Error: $"sandbox failed to start: driver '{lease.Sandbox.Driver ?? "default"}' is not available on agent {options.Name}"
            );

        var workspace = teardown.Workspace = lease.Git is null
            ? null
            : Workspace.Create(options.ScratchRoot, $"{lease.TaskId}-a{lease.Attempt}-e{lease.Epoch}-ws");
        var spec = ToSandboxSpec(lease) with { WorkspaceDirectory = workspace?.Path };
        // Where the command's files are on this host (a GitLab job's project directory).
        string? projectDir = null;
        spec = spec with
        {
            StateDirectory = journal.StateDirectoryOf(spec.SandboxId),
            Status = new SystemLines(shipper),
        };
        if (lease.Service is not null && services is not null)
        {
            try
            {
                replica.Value = teardown.Replica = services.Prepare(lease, spec);
                spec = replica.Value.Spec;
            }
            catch (SandboxStartException e)
            {
                await shipper.WriteAsync(
                    LogStream.System,
                    $"hearth: sandbox failed to start: {e.Message}",
                    CancellationToken.None
                );
                return new TaskResult(null, Error: $"sandbox failed to start: {e.Message}");
            }
        }
        if (lease.Git is { } git)
        {
            // An image's container or a VM gets the checkout the host made (bound in, or carried on the VM's workspace
            // disk).
            var checkout = driver.Capabilities.Filesystem is FilesystemIsolation.Image or FilesystemIsolation.Vm
                ? drivers.HostCheckout ?? driver
                : driver;
            var failed = await new GitCheckout(checkout, options.KillGrace).RunAsync(git, spec, shipper, control);
            if (failed is not null)
            {
                await shipper.WriteAsync(LogStream.System, $"hearth: {failed}", CancellationToken.None);
                return new TaskResult(null, Error: failed);
            }
            // An image's container gets the checkout itself, not the host sandbox's files around it.
            if (checkout != driver && checkout.Name == "bubblewrap")
                spec = spec with
                {
                    WorkspaceDirectory = Path.Combine(workspace!.Path, BubblewrapDriver.WorkSubdirectory),
                };
            if (spec.Command.Count > 0)
                spec = spec with { Command = Workspace.InDirectory(spec.Command, git.Path) };
            projectDir =
                checkout.Name == "bubblewrap"
                    ? Path.Combine(workspace!.Path, BubblewrapDriver.WorkSubdirectory)
                    : workspace!.Path;
        }
        CiJobPhases.Prepared? ciPrepared = null;
        if (lease.CiFiles is { } ciFiles)
        {
            string? failed = null;
            if (ciJobs is null || projectDir is null)
                failed = "this agent cannot move a GitLab job's artifacts or cache (no workspace)";
            else
                (ciPrepared, failed) = await ciJobs.BeforeAsync(ciFiles, projectDir, shipper, CancellationToken.None);
            if (failed is not null)
            {
                await shipper.WriteAsync(LogStream.System, $"hearth: {failed}", CancellationToken.None);
                return new TaskResult(null, Error: failed);
            }
        }

        ISandbox sandbox;
        var starting = time.GetTimestamp();
        try
        {
            using var span = Telemetry.AgentActivities.Source.StartActivity("sandbox.start");
            span?.SetTag("hearth.driver", driver.Name);
            sandbox = await driver.StartAsync(spec, shipper, CancellationToken.None);
        }
        catch (SandboxStartException e)
        {
            metrics?.SandboxStartFailed(driver.Name);
            metrics?.TaskEnded(driver.Name, "error");
            await shipper.WriteAsync(
                LogStream.System,
                $"hearth: sandbox failed to start: {e.Message}",
                CancellationToken.None
            );
            return new TaskResult(null, Error: $"sandbox failed to start: {e.Message}");
        }

        teardown.Sandbox = sandbox;
        metrics?.SandboxStarted(driver.Name, time.GetElapsedTime(starting));
        var startedAt = time.GetUtcNow();
        // Written before the server can hear that the task runs: an agent that dies from here on leaves a record.
        try
        {
            keeper.Started(
                new SandboxRecord(
                    lease.TaskId,
                    lease.RunId,
                    lease.Epoch,
                    lease.Attempt,
                    sandbox.Handle,
                    startedAt,
                    workspace?.Path,
                    LogCheckpoint.Start
                )
                {
                    Service = lease.Service,
                }
            );
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(
                "task {Task}: cannot write its sandbox record to {Directory} ({Error}); it will not survive an agent restart",
                lease.TaskId,
                journal.Directory,
                e.Message
            );
        }
        control.Attach(sandbox, StopGrace(lease), StopSignalOf(lease));
        await report.StartedAsync(startedAt);
        TaskResult ended;
        using var checks = new CancellationTokenSource();
        var health = services?.MonitorHealthAsync(lease, sandbox, checks.Token) ?? Task.CompletedTask;
        try
        {
            ended = await WaitAsync(lease.TaskId, lease.Attempt, sandbox);
        }
        finally
        {
            await checks.CancelAsync();
            await health;
            metrics?.SandboxEnded(driver.Name);
        }
        control.ExitedAt = time.GetUtcNow();
        if (lease.CiFiles is { } files && ciPrepared is not null && !control.StopRequested)
        {
            // As gitlab-runner: the cache and the artifacts after the job's scripts, before its end is reported.
            var failed = await ciJobs!.AfterAsync(
                files,
                ciPrepared,
                projectDir!,
                ended is { ExitCode: 0, Error: null, OomKilled: false },
                shipper,
                CancellationToken.None
            );
            if (failed is not null)
            {
                await shipper.WriteAsync(LogStream.System, $"hearth: {failed}", CancellationToken.None);
                ended = ended with { Error = failed };
            }
        }
        metrics?.TaskEnded(
            driver.Name,
            ended.ExitCode switch
            {
                0 => "ok",
                null => "error",
                _ => "failed",
            }
        );
        return ended;
    }

    private async Task HeartbeatAsync(
        Assignment lease,
        RunningReport report,
        TaskControl control,
        TimeSpan interval,
        TimeSpan leaseTtl,
        CancellationToken ct
    )
    {
        var lastAccepted = time.GetUtcNow();
        try
        {
            // A lease just granted needs no renewal: a task that ends within the window sends no heartbeat at all.
            await report.WindowOver.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var beat = await api.HeartbeatAsync(
                    lease.TaskId,
                    new HeartbeatBody(lease.Epoch, interval.TotalSeconds),
                    ct
                );
                lastAccepted = time.GetUtcNow();
                if (beat is { Ended: true })
                {
                    // The result of this attempt reached the server while this heartbeat was under way: nothing to
                    // renew.
                    if (control.Finished)
                        return;
                    // Ended without this agent's result (its lease expired and the server gave up on it): nothing may
                    // run on.
                    logger.LogWarning("task {Task}: the server has ended this task; killing the sandbox", lease.TaskId);
                    control.MarkStale();
                    return;
                }
                if (beat is not { Stop: not StopReason.None })
                    continue;
                if (control.StopReason == StopReason.None)
                {
                    logger.LogInformation("task {Task}: server asked to stop ({Reason})", lease.TaskId, beat.Stop);
                    control.RequestStop(beat.Stop, "stop requested");
                }
                // A stopped task's heartbeat is answered at once (the stop is already known): renew at the normal pace
                // while the sandbox winds down, instead of asking again and again.
                try
                {
                    await Task.Delay(interval, time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (StaleLeaseException)
            {
                logger.LogWarning(
                    "task {Task}: the server says this lease is stale; killing the sandbox",
                    lease.TaskId
                );
                control.MarkStale();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                // Self-fencing: past the lease TTL without a renewal, the server has given the task to someone else.
                if (time.GetUtcNow() - lastAccepted > leaseTtl)
                {
                    logger.LogWarning(
                        "task {Task}: no heartbeat accepted for {Ttl}; assuming the lease is lost",
                        lease.TaskId,
                        leaseTtl
                    );
                    control.MarkStale();
                    return;
                }
                logger.LogWarning("task {Task}: heartbeat failed ({Error}); retrying", lease.TaskId, e.Message);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<Assignment?> ReportAsync(
        Assignment lease,
        TaskResult result,
        RunningReport report,
        List<AgentLogLine> held,
        long heldFrom,
        AgentRef? next,
        CancellationToken lost,
        DateTimeOffset? firstOutputAt = null,
        DateTimeOffset? exitedAt = null
    )
    {
        var body = new CompleteBody(
            lease.Epoch,
            result.ExitCode,
            result.OomKilled,
            result.Error,
            report.StartedAt,
            heldFrom,
            held.Count > 0 ? held : null,
            next
        )
        {
            FirstOutputAt = firstOutputAt,
            ExitedAt = exitedAt,
        };
        while (true)
        {
            try
            {
                return await api.CompleteAsync(lease.TaskId, body, CancellationToken.None);
            }
            catch (StaleLeaseException)
            {
                logger.LogWarning("task {Task}: result refused, the lease is stale", lease.TaskId);
                return null;
            }
            catch (AgentProtocolException e) when (e.Status is 400 or 413)
            {
                // Sending the same result again cannot succeed: without its lines it may; else the lease's expiry ends
                // the task.
                if (body.Lines is null)
                {
                    logger.LogError(
                        "task {Task}: the server refuses its result ({Error}); the lease will expire",
                        lease.TaskId,
                        e.Message
                    );
                    return null;
                }
                logger.LogWarning(
                    "task {Task}: the server refused the result with {Lines} lines ({Status}); sending it without them",
                    lease.TaskId,
                    body.Lines.Count,
                    e.Status
                );
                body = body with { Lines = null, Next = null };
            }
            catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
            {
                // Retrying may take a while: the heartbeats must run meanwhile (they also tell when the lease is lost).
                report.EndWindow();
                // A lease granted with an answer that never arrived would wait for its rescue: a retry asks for none.
                body = body with { Next = null };
                if (lost.IsCancellationRequested)
                {
                    logger.LogError(
                        "task {Task}: could not report its result ({Error}) before the lease was lost; the server will rescue it",
                        lease.TaskId,
                        e.Message
                    );
                    return null;
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, lost);
                }
                catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>
    /// The task's environment, its secrets, its locks' tokens, and what a command may want to know about itself (like
    /// CI_JOB_ID).
    /// </summary>
    private static Dictionary<string, string> WithHearthVariables(Assignment lease)
    {
        var env = new Dictionary<string, string>(lease.Env, StringComparer.Ordinal);
        // Secrets reach the sandbox's environment only: never its command line, never the agent's own environment.
        foreach (var (name, value) in lease.SecretEnv)
            env[name] = value;
        foreach (var held in lease.Locks)
            env[LockNames.TokenVariable(held.Name)] = held.Token.ToString(
                System.Globalization.CultureInfo.InvariantCulture
            );
        var hearth = new Dictionary<string, string>
        {
            ["HEARTH_RUN_ID"] = lease.RunId,
            ["HEARTH_TASK_ID"] = lease.TaskId,
            ["HEARTH_ATTEMPT"] = lease.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in hearth)
            env[name] = value;
        return env;
    }

    private SandboxSpec ToSandboxSpec(Assignment lease) =>
        new()
        {
            SandboxId = LiveSandboxes.SandboxIdOf(lease),
            Command = lease.Command,
            Environment = WithHearthVariables(lease),
            Limits = new ResourceLimits(lease.Sandbox.Cpus, lease.Sandbox.MemoryBytes, lease.Sandbox.Pids),
            Image = lease.Sandbox.Image,
            Pull = lease.Sandbox.Pull switch
            {
                "always" => ImagePullPolicy.Always,
                "never" => ImagePullPolicy.Never,
                _ => ImagePullPolicy.Missing,
            },
            Network = lease.Sandbox.Network,
            Ports = lease
                .Sandbox.Ports.Select(p => new PortMapping(p.HostIp, p.HostPort, p.ContainerPort, p.Protocol))
                .ToList(),
            ScratchRoot = options.ScratchRoot,
            Build = lease.Build,
        };
}
