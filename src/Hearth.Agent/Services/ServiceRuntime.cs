using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Hearth.Agent.Dns;
using Hearth.Core.Api;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Services;

/// <summary>
/// What the agent does for service replicas beside running them: their sandbox's networks, host name, mounts and files
/// (<see cref="Prepare"/>), the embedded DNS on their networks' gateways with the server's names polled for it, their
/// named volumes, and their health checks (<see cref="MonitorHealthAsync"/>).
/// </summary>
public sealed class ServiceRuntime : IAsyncDisposable
{
    private readonly AgentApiClient _api;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ServiceRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, Poller> _pollers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Epoch, ISandbox Sandbox)> _execTargets = new(
        StringComparer.Ordinal
    );
    private readonly ConcurrentDictionary<Replica, byte> _live = new();
    private readonly Lock _gate = new();
    private long _prepared;
    private int _noHealthEndpoint;
    private int _noNamesEndpoint;

    public ServiceRuntime(
        AgentApiClient api,
        string stateDirectory,
        TimeProvider time,
        ILogger logger,
        ServiceRuntimeOptions? options = null
    )
    {
        _api = api;
        _time = time;
        _logger = logger;
        _options = options ?? new ServiceRuntimeOptions();
        Names = new ServiceNames();
        Dns = new EmbeddedDns(Names, _options.Upstreams ?? EmbeddedDns.HostResolvers(), logger, _options.Dns);
        Volumes = new ServiceVolumes(Path.Combine(stateDirectory, "volumes"));
    }

    public ServiceNames Names { get; }

    public EmbeddedDns Dns { get; }

    public ServiceVolumes Volumes { get; }

    /// <summary>The key a project network has in the DNS's tables.</summary>
    public static string NetworkKey(string project, string network) => $"{project}/{network}";

    /// <summary>
    /// The name the driver's named network has on this host: the project's scope, as compose names them.
    /// </summary>
    public static string SandboxNetworkName(string project, string network) => $"{project}_{network}";

    /// <summary>
    /// The replica's sandbox: its networks (its DNS joined once they exist), host name, volumes, binds, tmpfs and
    /// files. Throws <see cref="SandboxStartException"/> for what cannot be delivered (a secret file without its value,
    /// a bind outside the allowed roots). Dispose the replica when its sandbox is gone.
    /// </summary>
    public Replica Prepare(Assignment lease, SandboxSpec spec)
    {
        var service = lease.Service ?? throw new ArgumentException("not a service replica", nameof(lease));
        // Replica i of a service sharing X's namespaces joins X's replica i, which the server placed here and saw
        // running.
        var networkOf =
            service.NetworkMode is { } mode
            && mode.StartsWith(ServiceDefinition.ServicePrefix, StringComparison.Ordinal)
                ? Partner(service, mode[ServiceDefinition.ServicePrefix.Length..], $"network_mode: {mode}")
                : null;
        var ipcOf = service.IpcOf is { } ipc ? Partner(service, ipc, $"ipc: service:{ipc}") : null;
        var replica = new Replica(this, service, Interlocked.Increment(ref _prepared));
        _live[replica] = 0;
        var networks = service.NetworkMode is null
            ? service
                .Networks.Select(n => new SandboxNetwork(
                    SandboxNetworkName(service.Project, n.Network),
                    n.Subnet,
                    n.Ipv4Address,
                    n.Internal
                ))
                .ToList()
            : [];
        replica.Spec = spec with
        {
            Networks = networks,
            // A replica with networks has no default bridge; one without any keeps what its request said; network_mode
            // none has loopback only, service:X has X's.
            Network = networks.Count == 0 && spec.Network && service.NetworkMode is null,
            NetworkOf = networkOf?.Spec.SandboxId,
            IpcOf = ipcOf?.Spec.SandboxId,
            // As docker: a replica on X's network has X's host name (and its /etc/hosts).
            Hostname = networkOf?.Spec.Hostname ?? service.Hostname,
            GatewayDns = networks.Count > 0,
            NetworksReady = networks.Count > 0 ? replica.JoinAsync : null,
            Mounts = [.. service.Mounts.Select(m => Mount(service.Project, m))],
            Files = [.. service.Files.Select(f => File(lease, f))],
            Container = service.Container,
        };
        return replica;
    }

    /// <summary>
    /// The live replica of <paramref name="partner"/> with <paramref name="service"/>'s number, the latest started
    /// here.
    /// </summary>
    private Replica Partner(ServiceReplicaSpec service, string partner, string why) =>
        _live
            .Keys.Where(r => r.Shares(service.Project, partner, service.Replica) && r.Spec is not null)
            .OrderByDescending(r => r.Sequence)
            .FirstOrDefault()
        ?? throw new SandboxStartException($"{why}: {partner}-{service.Replica} does not run on this agent");

    /// <summary>
    /// A replica an earlier agent started, recovered: its DNS answers again at the addresses its sandbox kept.
    /// </summary>
    public async Task<Replica> ResumeAsync(Assignment lease, ISandbox sandbox)
    {
        var service = lease.Service ?? throw new ArgumentException("not a service replica", nameof(lease));
        var replica = new Replica(this, service, Interlocked.Increment(ref _prepared))
        {
            Spec = new SandboxSpec
            {
                SandboxId = sandbox.Handle.SandboxId,
                Command = [],
                ScratchRoot = "",
                Hostname = service.Hostname,
            },
        };
        _live[replica] = 0;
        if (sandbox.Addresses.Count > 0)
            await replica.JoinAsync(sandbox.Addresses, CancellationToken.None);
        return replica;
    }

    private SandboxMount Mount(string project, ServiceMount mount)
    {
        switch (mount.Kind)
        {
            case ServiceMountKind.Volume:
                if (string.IsNullOrEmpty(mount.Source))
                    return new SandboxMount(SandboxMountKind.Tmpfs, null, mount.Target, mount.ReadOnly);
                try
                {
                    return new SandboxMount(
                        SandboxMountKind.Bind,
                        Volumes.Ensure(project, mount.Source),
                        mount.Target,
                        mount.ReadOnly
                    );
                }
                catch (ArgumentException e)
                {
                    throw new SandboxStartException($"volume {mount.Source}: {e.Message}");
                }
            case ServiceMountKind.Bind:
                var source = Path.GetFullPath(
                    mount.Source ?? throw new SandboxStartException($"bind {mount.Target}: no source")
                );
                if (
                    !_options.BindRoots.Any(root =>
                        source == root.TrimEnd('/')
                        || source.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)
                    )
                )
                    throw new SandboxStartException(
                        _options.BindRoots.Count == 0
                            ? $"bind {source} -> {mount.Target}: this agent allows no bind mounts of host paths (its operator lists the roots it allows)"
                            : $"bind {source} -> {mount.Target}: not below a root this agent allows ({string.Join(", ", _options.BindRoots)})"
                    );
                return new SandboxMount(SandboxMountKind.Bind, source, mount.Target, mount.ReadOnly);
            default:
                return new SandboxMount(SandboxMountKind.Tmpfs, null, mount.Target, mount.ReadOnly, mount.SizeBytes);
        }
    }

    private static SandboxFile File(Assignment lease, ServiceFile file)
    {
        string content;
        if (file.SecretName is not null || file.Secret)
        {
            content = lease.SecretFiles.TryGetValue(file.Target, out var value)
                ? value
                : throw new SandboxStartException(
                    file.SecretName is { } name
                        ? $"secret {name} for {file.Target}: the server sent no value"
                        : $"secret {file.Target}: the server sent no value"
                );
        }
        else
        {
            content = file.Content ?? "";
        }
        return new SandboxFile(file.Target, Encoding.UTF8.GetBytes(content), file.Mode);
    }

    /// <summary>
    /// Checks the replica's health until <paramref name="cancellationToken"/> (its end), reporting each change. A
    /// server without the endpoint (404) is noted once; a stale lease stops the checks.
    /// </summary>
    /// <remarks>Until then the sandbox is also the target of <c>hearth exec</c> into the replica
    /// (<see cref="ExecTarget"/>).</remarks>
    public Task MonitorHealthAsync(Assignment lease, ISandbox sandbox, CancellationToken cancellationToken)
    {
        var target = (lease.Epoch, sandbox);
        _execTargets[lease.TaskId] = target;
        cancellationToken.Register(() => _execTargets.TryRemove(KeyValuePair.Create(lease.TaskId, target)));
        if (lease.Service?.HealthCheck is not { } check)
            return Task.CompletedTask;
        var monitor = new HealthMonitor(check, sandbox, state => ReportHealthAsync(lease, state), _time, _logger);
        return monitor.RunAsync(cancellationToken);
    }

    /// <summary>A replica this agent runs (or is starting) mounts the volume: <c>down -v</c> leaves it.</summary>
    public bool VolumeInUse(string project, string volume) => _live.Keys.Any(r => r.Mounts(project, volume));

    /// <summary>
    /// The running sandbox of the replica task <paramref name="taskId"/> under <paramref name="epoch"/>; null: none
    /// here.
    /// </summary>
    public ISandbox? ExecTarget(string taskId, long epoch) =>
        _execTargets.TryGetValue(taskId, out var target) && target.Epoch == epoch ? target.Sandbox : null;

    private async Task<bool> ReportHealthAsync(Assignment lease, HealthState state)
    {
        try
        {
            var taken = await _api.ReportHealthAsync(
                lease.TaskId,
                new ReplicaHealthBody(lease.Epoch, state.Health, state.FailingStreak, state.Output),
                CancellationToken.None
            );
            if (!taken && Interlocked.Exchange(ref _noHealthEndpoint, 1) == 0)
                _logger.LogWarning(
                    "the server does not take replica health reports (404); health is checked but not reported"
                );
            return true;
        }
        catch (StaleLeaseException)
        {
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
        {
            _logger.LogWarning("task {Task}: could not report its health ({Error})", lease.TaskId, e.Message);
            return true;
        }
    }

    private void StartPolling(string project, string network)
    {
        var key = NetworkKey(project, network);
        lock (_gate)
        {
            var poller = _pollers.GetOrAdd(key, _ => new Poller(this, project, network));
            poller.Users++;
        }
    }

    private void StopPolling(string project, string network)
    {
        var key = NetworkKey(project, network);
        lock (_gate)
        {
            if (!_pollers.TryGetValue(key, out var poller) || --poller.Users > 0)
                return;
            _pollers.TryRemove(key, out _);
            poller.Stop();
        }
        Names.Forget(key);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var poller in _pollers.Values)
            poller.Stop();
        _pollers.Clear();
        await Dns.DisposeAsync();
    }

    /// <summary>Polls the server's names of one project network while a replica of this agent is on it.</summary>
    private sealed class Poller
    {
        private readonly CancellationTokenSource _stop = new();

        public Poller(ServiceRuntime runtime, string project, string network)
        {
            _ = Task.Run(() => PollAsync(runtime, project, network, _stop.Token));
        }

        public int Users { get; set; }

        public void Stop() => _stop.Cancel();

        private static async Task PollAsync(
            ServiceRuntime runtime,
            string project,
            string network,
            CancellationToken stop
        )
        {
            var key = NetworkKey(project, network);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var view = await runtime._api.NetworkNamesAsync(project, network, stop);
                    if (view is null)
                    {
                        if (Interlocked.Exchange(ref runtime._noNamesEndpoint, 1) == 0)
                            runtime._logger.LogWarning(
                                "the server does not serve network names (404); the embedded DNS answers this agent's replicas only"
                            );
                    }
                    else if (view.Version != runtime.Names.ServerVersion(key))
                    {
                        runtime.Names.SetServerView(key, view);
                    }
                    await Task.Delay(runtime._options.NamesPollInterval, runtime._time, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or AgentProtocolException or TaskCanceledException)
                {
                    runtime._logger.LogDebug("names of {Network}: {Error}", key, e.Message);
                    try
                    {
                        await Task.Delay(runtime._options.NamesPollInterval, runtime._time, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// <summary>
    /// One replica's part: its sandbox spec, and once its networks exist, its DNS membership and addresses.
    /// </summary>
    public sealed class Replica(ServiceRuntime runtime, ServiceReplicaSpec service, long sequence) : IAsyncDisposable
    {
        private IAsyncDisposable? _membership;
        private bool _polling;

        /// <summary>
        /// Grows with each replica prepared here: the latest of two copies of one replica (a roll) is the larger.
        /// </summary>
        internal long Sequence => sequence;

        /// <summary>
        /// It is replica <paramref name="replica"/> of <paramref name="serviceName"/> in <paramref name="project"/>.
        /// </summary>
        internal bool Shares(string project, string serviceName, int replica) =>
            service.Project == project && service.Service == serviceName && service.Replica == replica;

        public SandboxSpec Spec { get; internal set; } = null!;

        /// <summary>
        /// Its address by compose network name, for <see cref="RunningBody.Addresses"/>; null before its networks
        /// exist.
        /// </summary>
        public IReadOnlyDictionary<string, string>? Addresses { get; private set; }

        /// <summary>
        /// The names a replica answers to on a network: its service, its replica name, its host name, its aliases.
        /// </summary>
        public IReadOnlyList<string> NamesOn(ServiceNetworkAttachment network)
        {
            var replica = $"{service.Service}-{service.Replica}";
            IEnumerable<string> names = [service.Service, replica, $"{service.Project}-{replica}", .. network.Aliases];
            if (service.Hostname is { } hostname)
                names = names.Append(hostname);
            return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        }

        internal Task JoinAsync(IReadOnlyList<SandboxAddress> addresses, CancellationToken cancellationToken)
        {
            var places = new List<EmbeddedDns.Place>();
            var byNetwork = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var attachment in service.Networks)
            {
                var name = SandboxNetworkName(service.Project, attachment.Network);
                if (addresses.FirstOrDefault(a => a.Network == name) is not { } address)
                    continue;
                byNetwork[attachment.Network] = address.Address;
                places.Add(
                    new EmbeddedDns.Place(
                        NetworkKey(service.Project, attachment.Network),
                        IPAddress.Parse(address.Address),
                        IPAddress.Parse(address.Gateway),
                        NamesOn(attachment)
                    )
                );
            }
            Addresses = byNetwork;
            try
            {
                _membership = runtime.Dns.Join(Spec.SandboxId, places);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new SandboxStartException(
                    $"the embedded DNS cannot listen on {string.Join(", ", places.Select(p => p.Gateway))}: {e.Message}"
                );
            }
            foreach (var attachment in service.Networks)
                runtime.StartPolling(service.Project, attachment.Network);
            _polling = true;
            return Task.CompletedTask;
        }

        /// <summary>It mounts the named volume <paramref name="volume"/> of <paramref name="project"/>.</summary>
        public bool Mounts(string project, string volume) =>
            service.Project == project
            && service.Mounts.Any(m => m.Kind == ServiceMountKind.Volume && m.Source == volume);

        public async ValueTask DisposeAsync()
        {
            runtime._live.TryRemove(this, out _);
            if (_membership is not null)
                await _membership.DisposeAsync();
            _membership = null;
            if (_polling)
            {
                foreach (var attachment in service.Networks)
                    runtime.StopPolling(service.Project, attachment.Network);
                _polling = false;
            }
        }
    }
}

public sealed record ServiceRuntimeOptions
{
    /// <summary>How often the server's names of a network a replica is on are fetched.</summary>
    public TimeSpan NamesPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where the DNS forwards names it does not know; null: the host's name servers (/etc/resolv.conf).
    /// </summary>
    public IReadOnlyList<IPEndPoint>? Upstreams { get; init; }

    public EmbeddedDnsOptions? Dns { get; init; }

    /// <summary>
    /// Host directories below which compose bind mounts are allowed. Empty (the default): none, since a bind of a host
    /// path gives the replica whatever is there.
    /// </summary>
    public IReadOnlyList<string> BindRoots { get; init; } = [];
}
