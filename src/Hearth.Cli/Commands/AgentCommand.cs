using System.CommandLine;
using Hearth.Agent;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Core.Labels;
using Hearth.Sandbox;
using Hearth.Sandbox.MicroVm;
using Hearth.Sandbox.Oci;
using Hearth.Sandbox.Oci.Building;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Reaping;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Commands;

public static class AgentCommand
{
    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "Server URL (or HEARTH_SERVER)" };
        var token = new Option<string?>("--token")
        {
            Description = "Refused: a token on the command line is visible to every local user (use --token-file)",
            Hidden = true,
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = "File holding the agent token (or set HEARTH_AGENT_TOKEN)",
        };
        var allowedDrivers = DriversOption();
        var microvm = new Option<string[]>("--microvm")
        {
            Description =
                "A microvm driver setting KEY=VALUE (repeatable): backend=qemu|firecracker|flintlock, firecracker.kernel=PATH, "
                + "flintlock.endpoint=URL, flintlock.kernel-image=IMAGE, … (docs/microvm.md)",
            AllowMultipleArgumentsPerToken = false,
        };
        var labels = new Option<string?>("--labels") { Description = "Labels k=v,k2=v2 that tasks can require" };
        var capacity = new Option<int>("--capacity")
        {
            Description = "Tasks run at once",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var name = new Option<string?>("--name") { Description = "Agent name (default: host name)" };
        var scratch = new Option<string?>("--scratch")
        {
            Description = "Directory for sandbox scratch space (an absolute path)",
        };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description =
                "Where running sandboxes' records and output live, so a restarted agent recovers them "
                + "(default: $HEARTH_AGENT_STATE_DIR or $XDG_DATA_HOME/hearth/agent-NAME)",
        };
        var driver = new Option<string?>("--default-driver")
        {
            Description =
                "Driver for tasks that name none (default: bubblewrap if allowed and usable, else process if allowed)",
        };
        var grace = new Option<string>("--kill-grace")
        {
            Description = "Time between TERM and KILL",
            DefaultValueFactory = _ => "10s",
        };
        var images = new Option<string?>("--images")
        {
            Description = "OCI image store directory (default: $HEARTH_IMAGES_DIR or $XDG_DATA_HOME/hearth/images)",
        };
        var runtime = new Option<string>("--oci-runtime")
        {
            Description = "auto (crun where it works, else runc), runc or crun",
            DefaultValueFactory = _ => "auto",
        };
        var userns = OciUserNamespaceOption.Create();
        var drain = new Option<string>("--drain")
        {
            Description = "On SIGTERM: finish running tasks (finish) or stop them (stop)",
            DefaultValueFactory = _ => "finish",
        };
        var reapInterval = new Option<string>("--reap-interval")
        {
            Description =
                "How often orphaned sandbox resources are removed after the pass at start (0s: only at start)",
            DefaultValueFactory = _ => "5m",
        };
        var microVmPools = MicroVmPoolOption();
        var serviceSubnets = new Option<string>("--service-subnets")
        {
            Description =
                "The range compose networks take a /24 each from (agents on one host, or on routed hosts, need disjoint ranges)",
            DefaultValueFactory = _ => "10.89.0.0/16",
        };
        var bridgePrefix = ServiceBridgePrefixOption();
        var bindRoots = BindRootOption.Create();
        var allowCaps = AllowCapsOption();
        var allowHostPorts = AllowHostPortsOption();
        var telemetry = AgentTelemetryOptions.Create();
        var command = new Command("agent", "Run an agent: lease tasks from a server and run them in sandboxes")
        {
            server,
            token,
            tokenFile,
            allowedDrivers,
            labels,
            capacity,
            name,
            scratch,
            stateDir,
            driver,
            grace,
            drain,
            images,
            runtime,
            userns,
            reapInterval,
            microvm,
            microVmPools,
            serviceSubnets,
            bridgePrefix,
            bindRoots,
            allowCaps,
            allowHostPorts,
        };
        telemetry.AddTo(command);
        command.Subcommands.Add(AgentReapCommand.Create());
        command.SetAction(
            async (result, _) =>
            {
                var url = result.GetValue(server)
                    ?? Environment.GetEnvironmentVariable("HEARTH_SERVER")
                    ?? throw new CliException("--server: required (or set HEARTH_SERVER)", 2);
                if (
                    !Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var uri)
                    || uri.Scheme is not ("http" or "https")
                )
                    throw new CliException($"--server '{url}': expected an http(s) URL", 2);
                if (result.GetValue(scratch) is { } scratchDir && !Path.IsPathFullyQualified(scratchDir))
                    throw new CliException(
                        $"--scratch '{scratchDir}': expected an absolute path (e.g. {Path.GetFullPath(scratchDir)})",
                        2
                    );
                var secret = AgentToken.Read(result.GetValue(token), result.GetValue(tokenFile));
                if (!Durations.TryParse(result.GetValue(grace), out var killGrace))
                    throw new CliException(
                        $"--kill-grace '{result.GetValue(grace)}': expected a duration such as 10s",
                        2
                    );
                var drainMode = result.GetValue(drain);
                if (drainMode is not ("finish" or "stop"))
                    throw new CliException($"--drain '{drainMode}': expected finish or stop", 2);
                if (result.GetValue(capacity) is < 1 or > 1024)
                    throw new CliException("--capacity: must be between 1 and 1024", 2);
                if (!Durations.TryParse(result.GetValue(reapInterval), out var reapEvery))
                    throw new CliException(
                        $"--reap-interval '{result.GetValue(reapInterval)}': expected a duration such as 5m (0s: only at start)",
                        2
                    );
                Dictionary<string, string> parsedLabels;
                try
                {
                    parsedLabels = LabelMatch.Parse(result.GetValue(labels));
                    if (
                        parsedLabels.Keys.FirstOrDefault(k => k.StartsWith("driver.", StringComparison.Ordinal)) is
                        { } reserved
                    )
                        throw new FormatException(
                            $"'{reserved}': driver.* labels come from the drivers this agent runs (see --drivers)"
                        );
                }
                catch (FormatException e)
                {
                    throw new CliException($"--labels: {e.Message}", 2);
                }
                var (metricsListen, metricsToken, otlp, logFormat, logLevel) = telemetry.Read(result);
                var options = new AgentOptions
                {
                    MetricsListen = metricsListen,
                    MetricsToken = metricsToken,
                    OtlpEndpoint = otlp,
                    Server = uri,
                    Token = secret,
                    Name = result.GetValue(name) ?? Environment.MachineName,
                    Labels = parsedLabels,
                    Capacity = result.GetValue(capacity),
                    ScratchRoot = result.GetValue(scratch) ?? DefaultScratchRoot(),
                    StateDirectory = Path.GetFullPath(
                        result.GetValue(stateDir)
                            ?? DefaultStateDirectory(result.GetValue(name) ?? Environment.MachineName)
                    ),
                    ReapInterval = reapEvery,
                    DefaultDriver = result.GetValue(driver),
                    AllowedDrivers = ParseDrivers(result.GetValue(allowedDrivers)),
                    MicroVmSettings = result.GetValue(microvm) ?? [],
                    KillGrace = killGrace,
                    FinishOnDrain = drainMode == "finish",
                    ImageStore = result.GetValue(images),
                    OciRuntime = result.GetValue(runtime) is "auto" or "runc" or "crun"
                        ? result.GetValue(runtime)!
                        : throw new CliException("--oci-runtime: expected auto, runc or crun", 2),
                    MicroVmPools = ParseMicroVmPools(result.GetValue(microVmPools)),
                    ServiceSubnets = ParseServiceSubnets(result.GetValue(serviceSubnets)!),
                    ServiceBridgePrefix = ParseBridgePrefix(result.GetValue(bridgePrefix)!),
                    Services = new Agent.Services.ServiceRuntimeOptions
                    {
                        BindRoots = BindRootOption.Parse(result.GetValue(bindRoots)),
                    },
                    OciAllowedCapabilities = ParseAllowedCapabilities(result.GetValue(allowCaps)),
                    OciAllowedHostPorts = ParseAllowedHostPorts(result.GetValue(allowHostPorts)),
                };
                var ids = OciUserNamespaceOption.Resolve(result.GetValue(userns)!);
                using var signal = new ShutdownSignal();
                using var loggers = Logging.Create(logLevel, logFormat);
                await RunAgentAsync(options, signal, loggers, ids);
                return 0;
            }
        );
        return command;
    }

    private const string MicroVmDriverName = "microvm";

    /// <summary><c>--oci-allow-caps</c>, shared by <c>hearth agent</c> and <c>hearth dev</c>.</summary>
    public static Option<string?> AllowCapsOption() =>
        new("--oci-allow-caps")
        {
            Description =
                "Capabilities a compose service may add (cap_add) in its oci containers, e.g. NET_ADMIN,SYS_TIME; "
                + "ALL for any, none for none beyond the baseline. Default: Docker's default set less NET_RAW, plus NET_ADMIN "
                + "and NET_RAW when --oci-userns is on",
        };

    /// <summary>
    /// <c>--oci-allow-caps</c>: null (the default), <c>none</c>, or capability names (with or without CAP_, or ALL).
    /// </summary>
    public static IReadOnlyList<string>? ParseAllowedCapabilities(string? text)
    {
        if (text is null)
            return null;
        if (text.Trim() == "none")
            return [];
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            names.Add(
                Core.Services.LinuxCapabilities.Normalize(item)
                    ?? throw new CliException(
                        $"--oci-allow-caps: '{item}' is not a Linux capability (such as NET_ADMIN, CAP_SYS_TIME, ALL or none)",
                        2
                    )
            );
        }
        return names.Count == 0
            ? throw new CliException("--oci-allow-caps: expected capability names, ALL or none", 2)
            : [.. names];
    }

    /// <summary><c>--oci-allow-host-ports</c>, shared by <c>hearth agent</c> and <c>hearth dev</c>.</summary>
    public static Option<string?> AllowHostPortsOption() =>
        new("--oci-allow-host-ports")
        {
            Description =
                "Host ports that containers, builds and microVMs on the agent's bridges may reach on the host's own "
                + "addresses, e.g. 5432,8000-8100,53/udp (tcp unless /udp). Default: none; the host is refused to them "
                + "but for DNS",
        };

    /// <summary>
    /// <c>--oci-allow-host-ports</c>: ports and ranges, canonical (<c>5432/tcp</c>); null or none: none.
    /// </summary>
    public static IReadOnlyList<string> ParseAllowedHostPorts(string? text)
    {
        try
        {
            return text is null ? [] : [.. HostPortRange.ParseList(text).Select(r => r.ToString())];
        }
        catch (FormatException e)
        {
            throw new CliException($"--oci-allow-host-ports: {e.Message}", 2);
        }
    }

    public static string DefaultScratchRoot() => Path.Combine(Path.GetTempPath(), "hearth-agent");

    /// <summary>
    /// Where the orphan reaper looks: what the host drivers and the oci driver (with the options the agent gives it)
    /// make.
    /// </summary>
    public static IReadOnlyList<IOrphanSource> OrphanSources(string imageStore, string serviceBridgePrefix) =>
        [
            .. HostOrphanSources.Create(TimeProvider.System),
            .. OciOrphanSources.Create(
                new OciDriverOptions { Network = new OciNetworkOptions { NamedBridgePrefix = serviceBridgePrefix } },
                imageStore,
                TimeProvider.System
            ),
        ];

    /// <summary>
    /// --service-bridge-prefix, shared by agent and agent reap (which finds the agent's bridges by it).
    /// </summary>
    public static Option<string> ServiceBridgePrefixOption() =>
        new("--service-bridge-prefix")
        {
            Description =
                "Compose networks' bridges are named this and an index (1-8 lowercase letters or digits; distinct per agent on a host)",
            DefaultValueFactory = _ => "hsv",
        };

    public static string ParseBridgePrefix(string prefix) =>
        prefix.Length is >= 1 and <= 8
        && prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
        && char.IsAsciiLetterLower(prefix[0])
            ? prefix
            : throw new CliException(
                $"--service-bridge-prefix '{prefix}': expected 1 to 8 lowercase letters or digits, starting with a letter",
                2
            );

    private static string ParseServiceSubnets(string range)
    {
        var slash = range.IndexOf('/');
        if (
            slash < 0
            || !System.Net.IPAddress.TryParse(range[..slash], out var address)
            || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(range[(slash + 1)..], out var length)
            || length is < 8 or > 24
        )
            throw new CliException(
                $"--service-subnets '{range}': expected an IPv4 range from /8 to /24, e.g. 10.89.0.0/16",
                2
            );
        return range;
    }

    /// <summary>
    /// $HEARTH_AGENT_STATE_DIR, else $XDG_DATA_HOME/hearth/agent-NAME (~/.local/share without XDG_DATA_HOME).
    /// </summary>
    public static string DefaultStateDirectory(string name)
    {
        if (Environment.GetEnvironmentVariable("HEARTH_AGENT_STATE_DIR") is { Length: > 0 } dir)
            return dir;
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(
            string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg,
            "hearth",
            $"agent-{safe}"
        );
    }

    /// <summary>--drivers, shared by agent and dev.</summary>
    public static Option<string?> DriversOption() =>
        new("--drivers")
        {
            Description =
                "Drivers this agent may run, e.g. bubblewrap,oci (default: every sandboxing driver that works here; "
                + "process, which runs commands unsandboxed, microvm, a VM per task, and buildah, which builds images, only when named)",
        };

    /// <summary>--microvm-pool SIZE=COUNT@IMAGE, repeatable: the microvm driver's warm pools.</summary>
    public static Option<string[]> MicroVmPoolOption() =>
        new("--microvm-pool")
        {
            Description =
                "Keep COUNT microVMs of SIZE booted from IMAGE, waiting for tasks that ask for exactly that (repeatable; "
                + "e.g. 2cpu-512mb=2@registry.example/app:1; default: none)",
            AllowMultipleArgumentsPerToken = false,
        };

    public static IReadOnlyList<string> ParseMicroVmPools(string[]? values)
    {
        var pools = values ?? [];
        foreach (var pool in pools)
        {
            try
            {
                WarmPoolEntry.Parse(pool);
            }
            catch (FormatException e)
            {
                throw new CliException($"--microvm-pool: {e.Message}", 2);
            }
        }
        return pools;
    }

    public static IReadOnlyList<string>? ParseDrivers(string? text)
    {
        if (text is null)
            return null;
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return names.Count > 0
            ? names
            : throw new CliException("--drivers: expected driver names, e.g. bubblewrap,oci", 2);
    }

    /// <summary>
    /// The drivers the agent runs, or a one-line refusal: a name that is not a driver (exit 2), or nothing usable
    /// (exit 1). Says on stderr which allowed drivers do not work here, and warns when process is allowed.
    /// </summary>
    /// <param name="userNamespace">The id range OCI containers run in (<c>--oci-userns</c>); null: none.</param>
    public static DriverSet CreateDrivers(AgentOptions options, IdMapping? userNamespace, HttpClient registryHttp)
    {
        DriverSet drivers;
        try
        {
            var images = Images.LocalImages.Open(options.ImageStore ?? Images.LocalImages.DefaultRoot(), registryHttp);
            var runtime = OciRuntimeSelector.Select(options.OciRuntime);
            // microVMs share the default bridge: both drivers get the same allowed ports, since each rewrites the
            // bridge's filter rules when it first sets the bridge up.
            IReadOnlyList<HostPortRange> allowedHostPorts =
            [
                .. options.OciAllowedHostPorts.Select(HostPortRange.Parse),
            ];
            var oci = new OciDriver(
                new OciDriverOptions
                {
                    Runtime = runtime.Runtime,
                    MemoryLimitedRuntime = runtime.MemoryLimitedRuntime,
                    UserNamespace = userNamespace,
                    AllowedCapabilities = options.OciAllowedCapabilities,
                    Network = new OciNetworkOptions
                    {
                        NamedSubnets = options.ServiceSubnets,
                        NamedBridgePrefix = options.ServiceBridgePrefix,
                        AllowedHostPorts = allowedHostPorts,
                    },
                },
                images,
                TimeProvider.System
            );
            List<ISandboxDriver> all = [.. SandboxDrivers.CreateHostDrivers(), oci];
            // Builds run Dockerfiles' RUN steps as root (on the oci bridge, as containers): only an agent whose
            // --drivers names buildah.
            if (options.AllowedDrivers?.Contains(Hearth.Core.Builds.Builders.Driver) == true)
                all.Add(
                    new BuildahDriver(
                        BuildahOptions(images.RootDirectory),
                        new RegistryClient(
                            registryHttp,
                            new RegistryClientOptions(),
                            Images.LocalImages.Credentials(),
                            TimeProvider.System
                        ),
                        new ProcessDriver(),
                        oci.Network
                    )
                );
            // A VM per task is heavy (and slow under software emulation): only an agent whose --drivers names it runs
            // it.
            if (options.AllowedDrivers?.Contains(MicroVmDriverName) == true)
                all.Add(
                    new MicroVmDriver(
                        MicroVmSettings.Apply(
                            new MicroVmDriverOptions
                            {
                                CacheDirectory = Path.Combine(images.RootDirectory, "microvm"),
                                Network = new OciNetworkOptions { AllowedHostPorts = allowedHostPorts },
                                PoolScratchRoot = options.ScratchRoot,
                                WarmPools = [.. options.MicroVmPools.Select(WarmPoolEntry.Parse)],
                            },
                            options.MicroVmSettings
                        ),
                        images,
                        TimeProvider.System
                    )
                );
            drivers = new DriverSet(all, options.AllowedDrivers, options.DefaultDriver);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message, 2);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message);
        }
        foreach (var (name, reason) in drivers.Unusable)
            Console.Error.WriteLine($"hearth: driver {name} is not usable here: {reason}");
        if (drivers.AllowsUnsandboxed)
            Console.Error.WriteLine($"hearth: warning: {DriverSet.ProcessWarning}");
        return drivers;
    }

    /// <summary>
    /// buildah's store beside the agent's images (its layers are the build cache), its run state under /run.
    /// </summary>
    private static BuildahDriverOptions BuildahOptions(string imageRoot)
    {
        var root = Path.Combine(Path.GetFullPath(imageRoot), "buildah");
        var id = Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root))
        )[..12];
        return new BuildahDriverOptions { StorageRoot = root, RunRoot = $"/run/hearth/buildah-{id}" };
    }

    /// <param name="userNamespace">The id range OCI containers run in (<c>--oci-userns</c>); null: none.</param>
    public static async Task RunAgentAsync(
        AgentOptions options,
        ShutdownSignal signal,
        ILoggerFactory loggers,
        IdMapping? userNamespace
    )
    {
        using var registryHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await RunAgentAsync(options, CreateDrivers(options, userNamespace, registryHttp), signal, loggers);
    }

    public static async Task RunAgentAsync(
        AgentOptions options,
        DriverSet drivers,
        ShutdownSignal signal,
        ILoggerFactory loggers
    )
    {
        var host = new AgentHost(
            options,
            drivers,
            TimeProvider.System,
            loggers,
            OrphanSources(options.ImageStore ?? Images.LocalImages.DefaultRoot(), options.ServiceBridgePrefix)
        );
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(signal.Hard);
        using var _ = options.FinishOnDrain ? default : signal.Drain.Register(shutdown.Cancel);
        try
        {
            await host.RunAsync(signal.Drain, shutdown.Token);
        }
        catch (AgentRefusedException e)
        {
            throw new CliException(e.Message);
        }
    }
}
