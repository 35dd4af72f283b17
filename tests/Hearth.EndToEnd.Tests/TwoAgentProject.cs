using System.Diagnostics;
using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A server and two agents on this machine, each agent with its own compose-network range and bridge prefix (as two
/// hosts would have), busybox in a loopback registry, and one compose project brought up with <c>hearth up --wait</c>.
/// Each class using it gets ranges and prefixes of its own, so classes running side by side never share a bridge.
/// </summary>
public abstract class TwoAgentProject : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public HearthCluster Cluster { get; private set; } = null!;
    public string Work { get; private set; } = null!;
    public string ComposeFile => Path.Combine(Work, "compose.yaml");
    public string Image => $"{Registry.Host}/e2e/busybox:1";

    /// <summary>A number no other process runs `sleep` with: the main process of a replica is found by it.</summary>
    public int Marker { get; } = Random.Shared.Next(100_000, 999_999);

    public abstract string Project { get; }
    public abstract IReadOnlyList<AgentNetwork> AgentNetworks { get; }
    protected virtual string LeaseTtl => "10s";
    protected virtual string Heartbeat => "1s";
    protected abstract string Compose();

    public sealed record AgentNetwork(string Name, string Subnets, string BridgePrefix)
    {
        public string[] Args => ["--service-subnets", Subnets, "--service-bridge-prefix", BridgePrefix];
        public string Prefix16 => Subnets[..(Subnets.IndexOf('.', Subnets.IndexOf('.') + 1) + 1)];
    }

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Work = Tools.TempDirectory("hearth-e2e-" + Project);
        var rootfs = TarBuilder
            .Busybox()
            .Symlink("bin/httpd", "busybox")
            .Symlink("bin/nslookup", "busybox")
            .Symlink("bin/wget", "busybox");
        using (var pusher = new ImagePusher(Registry.BaseUri))
            await pusher.PushImageAsync(
                "e2e/busybox",
                "1",
                [rootfs.Build()],
                new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") }
            );
        await File.WriteAllTextAsync(ComposeFile, Compose());
        Cluster = await HearthCluster.StartAsync(leaseTtl: LeaseTtl, heartbeat: Heartbeat);
        foreach (var agent in AgentNetworks)
            await StartAgentAsync(agent);
        var up = await Cluster.CliAsync("up", "-d", "--wait", "--wait-timeout", "50", "-f", ComposeFile);
        if (up.ExitCode != 0)
            throw new InvalidOperationException($"hearth up failed ({up.ExitCode}): {up.Stderr}");
    }

    public Task<RunningProcess> StartAgentAsync(AgentNetwork agent) =>
        Cluster.StartAgentAsync(agent.Name, capacity: 8, drivers: "oci", extraArgs: agent.Args);

    public async Task DisposeAsync()
    {
        // Replicas never end by themselves: a project left up would hold its agents' drain until they are killed.
        try
        {
            await Cluster.CliAsync("down", "-p", Project);
        }
        catch (TimeoutException) { }
        await Cluster.DisposeAsync();
        await Registry.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }

    public Task<CliProcess.Result> Cli(params string[] args) => Cluster.CliAsync(args);

    /// <summary><c>hearth ps -o json</c>: the project's replicas by name.</summary>
    public async Task<IReadOnlyDictionary<string, Replica>> PsAsync()
    {
        var ps = await Cli("ps", "-p", Project, "-o", "json");
        if (ps.ExitCode != 0)
            throw new InvalidOperationException($"hearth ps failed ({ps.ExitCode}): {ps.Stderr}");
        return JsonNode.Parse(ps.Stdout)!["replicas"]!.AsArray().Select(r => new Replica(r!)).ToDictionary(r => r.Name);
    }

    /// <summary>Polls <see cref="PsAsync"/> until <paramref name="condition"/> holds; the replicas then.</summary>
    public async Task<IReadOnlyDictionary<string, Replica>> UntilAsync(
        Func<IReadOnlyDictionary<string, Replica>, bool> condition,
        string what,
        int seconds = 40
    )
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyDictionary<string, Replica> replicas;
        do
        {
            replicas = await PsAsync();
            if (condition(replicas))
                return replicas;
            await Task.Delay(200);
        } while (deadline.Elapsed < TimeSpan.FromSeconds(seconds));
        Assert.Fail(
            $"not reached within {seconds} s: {what}; replicas: "
                + string.Join("; ", replicas.Values.Select(r => r.ToString()))
        );
        return replicas;
    }

    /// <summary><c>hearth events -o json</c> of the project.</summary>
    public async Task<JsonArray> EventsAsync() =>
        JsonNode.Parse((await Cli("events", "-p", Project, "-o", "json")).Stdout)!["events"]!.AsArray();

    /// <summary>
    /// The host pid of a replica's main process: the process whose command line holds <paramref name="command"/> and
    /// whose environment names the replica's task (the agent gives every sandbox HEARTH_TASK_ID).
    /// </summary>
    public static int? MainPid(string taskId, string command)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (!commandLine.Contains(command, StringComparison.Ordinal))
                    continue;
                var environment = File.ReadAllText(Path.Combine(directory, "environ"));
                if (environment.Split('\0').Contains($"HEARTH_TASK_ID={taskId}"))
                    return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    /// <summary>
    /// Runs a command in a replica's namespaces (mount, network, uts) and root: what the replica itself would see.
    /// </summary>
    public static Task<(int ExitCode, string Output)> InReplicaAsync(int pid, params string[] command) =>
        NsenterAsync(["-t", pid.ToString(), "-m", "-n", "-u", "-r", "-w", .. command]);

    /// <summary>
    /// Runs a host command in a replica's network namespace only: from the replica's address, with the host's files.
    /// </summary>
    public static Task<(int ExitCode, string Output)> InReplicaNetworkAsync(int pid, params string[] command) =>
        NsenterAsync(["-t", pid.ToString(), "-n", .. command]);

    private static async Task<(int ExitCode, string Output)> NsenterAsync(string[] args)
    {
        var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>One line of <c>hearth ps -o json</c>.</summary>
public sealed class Replica(JsonNode node)
{
    public string Name => (string)node["name"]!;
    public string Service => (string)node["service"]!;
    public string State => (string)node["state"]!;
    public string Health => (string)node["health"]!;
    public string? Agent => (string?)node["agent"];
    public string? TaskId => (string?)node["task_id"];
    public int Restarts => (int)node["restarts"]!;
    public string? StartedAt => node["started_at"]?.ToString();
    public IReadOnlyDictionary<string, string> Addresses =>
        node["addresses"] is JsonObject addresses
            ? addresses.ToDictionary(a => a.Key, a => (string)a.Value!)
            : new Dictionary<string, string>();

    /// <summary>Running, and healthy when it has a health check (<c>none</c> otherwise).</summary>
    public bool Up => State == "running" && Health is "healthy" or "none";

    public string? Waiting => (string?)node["waiting"];

    public override string ToString() =>
        $"{Name} {State}/{Health} on {Agent} task {TaskId} restarts {Restarts} {Waiting}";
}
