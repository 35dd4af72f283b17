namespace Hearth.Agent;

/// <summary>How an agent finds its server and what it offers.</summary>
public sealed record AgentOptions
{
    public required Uri Server { get; init; }
    public required string Token { get; init; }
    public string Name { get; init; } = Environment.MachineName;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Tasks run at once.</summary>
    public int Capacity { get; init; } = 2;

    /// <summary>Where sandboxes get their scratch directories.</summary>
    public string ScratchRoot { get; init; } = Path.Combine(Path.GetTempPath(), "hearth-agent");

    /// <summary>
    /// Where the agent keeps what must outlive it: a record per running sandbox (its handle, lease and log position)
    /// and each sandbox's output files. An agent started again on the same directory recovers the sandboxes it names.
    /// Null: a directory of its own in the temporary directory, so nothing is recovered after a restart.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Drivers the operator allows (<c>--drivers</c>); null: every healthy isolating driver.</summary>
    public IReadOnlyList<string>? AllowedDrivers { get; init; }

    /// <summary>
    /// The microvm driver's <c>--microvm KEY=VALUE</c> settings (its backend and where its pieces are).
    /// </summary>
    public IReadOnlyList<string> MicroVmSettings { get; init; } = [];

    /// <summary>Driver used when a task names none.</summary>
    public string? DefaultDriver { get; init; }

    /// <summary>The first delay between retries of a GitLab artifacts call (doubling, with jitter).</summary>
    public TimeSpan GitLabRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between TERM and KILL when a task is stopped.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a task runs before the agent tells the server it runs (and starts heartbeats); a task that ends sooner
    /// reports its start with its result. Capped by the heartbeat interval and half the task's timeout.
    /// </summary>
    public TimeSpan RunningReportDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>On shutdown: finish running tasks (true) or stop them at once (false).</summary>
    public bool FinishOnDrain { get; init; } = true;

    /// <summary>OCI image store directory; null for the host default.</summary>
    public string? ImageStore { get; init; }

    /// <summary>OCI runtime: auto (crun where it works, else runc), runc or crun.</summary>
    public string OciRuntime { get; init; } = "auto";

    /// <summary>
    /// The capabilities a service replica may add on this agent (<c>--oci-allow-caps</c>), canonical names (<c>ALL</c>
    /// for every one). Null: the oci driver's default (Docker's default set; NET_ADMIN and NET_RAW with a user
    /// namespace).
    /// </summary>
    public IReadOnlyList<string>? OciAllowedCapabilities { get; init; }

    /// <summary>
    /// Host ports that containers, builds and microVMs on this agent's bridges may reach on the host's own addresses
    /// (<c>--oci-allow-host-ports</c>), each <c>PORT[-LAST]/PROTO</c>. Empty (the default): none; the host is refused
    /// to them but for DNS.
    /// </summary>
    public IReadOnlyList<string> OciAllowedHostPorts { get; init; } = [];

    /// <summary>
    /// The range this agent's compose networks take their subnets from (<c>--service-subnets</c>): agents on one host,
    /// or on hosts routed to each other, need disjoint ranges.
    /// </summary>
    public string ServiceSubnets { get; init; } = "10.89.0.0/16";

    /// <summary>
    /// The prefix of this agent's compose networks' bridges (<c>--service-bridge-prefix</c>), distinct per agent on a
    /// host.
    /// </summary>
    public string ServiceBridgePrefix { get; init; } = "hsv";

    /// <summary>
    /// The microvm driver's warm pools, each <c>SIZE=COUNT@IMAGE</c> (<c>--microvm-pool</c>); empty: none.
    /// </summary>
    public IReadOnlyList<string> MicroVmPools { get; init; } = [];

    /// <summary>How often the orphan reaper runs after the one pass at start; zero: only at start.</summary>
    public TimeSpan ReapInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>host:port of the agent's /metrics listener; null: no listener (the agent opens no port).</summary>
    public string? MetricsListen { get; init; }

    /// <summary>A bearer token the agent's /metrics asks for; null: none.</summary>
    public string? MetricsToken { get; init; }

    /// <summary>Where the agent's spans go (OTLP); null: tracing off.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>grpc or http/protobuf.</summary>
    public string OtlpProtocol { get; init; } = "http/protobuf";

    /// <summary>Service replicas: names polling, the embedded DNS, the host paths compose binds may use.</summary>
    public Services.ServiceRuntimeOptions? Services { get; init; }
    public string Version { get; init; } = typeof(AgentOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
