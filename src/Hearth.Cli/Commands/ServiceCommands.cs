using System.CommandLine;
using System.Globalization;
using Hearth.Cli.Client;
using Hearth.Compose;
using Hearth.Compose.Deployment;
using Hearth.Core.Api;
using Hearth.Core.Services;

namespace Hearth.Cli.Commands;

/// <summary>
/// Compose services on the cluster: <c>hearth up</c> sends a project's desired state, the server's reconciler makes it
/// so; <c>ps</c>, <c>down</c>, <c>restart</c>, <c>scale</c>, <c>events</c> and <c>inspect</c> work on it by project
/// name (<c>-p</c>, else the compose file's).
/// </summary>
public static class ServiceCommands
{
    private static readonly Option<string[]> Files = new("--file", "-f")
    {
        Description = "Compose file, repeatable (default compose.yaml)",
    };

    // `hearth events -f` follows, as `hearth logs -f` does: there the compose file has its long name only.
    private static readonly Option<string[]> FilesLongOnly = new("--file")
    {
        Description = "Compose file, repeatable (default compose.yaml)",
    };
    private static readonly Option<string?> ProjectName = new("--project-name", "-p")
    {
        Description = "Project name (default: the compose file's)",
    };

    public static IEnumerable<Command> Create() => [Up(), Ps(), Down(), Restart(), Scale(), Events(), Inspect()];

    private static Command Up()
    {
        var profiles = new Option<string[]>("--profile") { Description = "Enable a profile, repeatable" };
        var detach = new Option<bool>("--detach", "-d")
        {
            Description = "Return once deployed instead of following the services' logs",
        };
        var wait = new Option<bool>("--wait")
        {
            Description = "Return once every replica runs (and is healthy, if it has a health check)",
        };
        var timeout = new Option<int>("--wait-timeout")
        {
            Description = "Seconds --wait waits at most",
            DefaultValueFactory = _ => 300,
        };
        var registry = new Option<string?>("--registry")
        {
            Description =
                "Registry (HOST[:PORT][/PATH]) that build: services' images are pushed to (default: the compose file's "
                + "top-level x-hearth.registry)",
        };
        var command = new Command(
            "up",
            "Deploy a compose project to the cluster: networks, volumes, then services in dependency order. Without -d, "
                + "follows the services' logs (prefixed per replica); Ctrl-C only detaches: the services belong to the cluster, "
                + "not to this terminal, and keep running until `hearth down`"
        )
        {
            Files,
            ProjectName,
            profiles,
            detach,
            wait,
            timeout,
            registry,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var project = LoadProject(result, result.GetValue(profiles) ?? []);
                var (builds, buildErrors) = ImageBuilds.Plan(
                    project,
                    ImageBuilds.RegistryOf(project, result.GetValue(registry)),
                    GivenFiles(result)?.FirstOrDefault() ?? "compose.yaml"
                );
                if (buildErrors.Count > 0)
                    throw new CliException(string.Join("\n", buildErrors.Select(e => e.ToString())), 2);
                using var client = CommonOptions.Client(result);
                var spec = SpecOf(project, await ServiceBuilds.RunAsync(client, builds, ct), ComposeFiles(result)[^1]);
                Console.Error.WriteLine(
                    $"hearth: deploying project {spec.Name} ({spec.Services.Count} service(s)) to {client.Server}"
                );
                var view = await client.SendJsonAsync<ProjectView>(
                    HttpMethod.Put,
                    $"api/v1/projects/{Uri.EscapeDataString(spec.Name)}",
                    spec,
                    ct
                );
                if (result.GetValue(wait))
                {
                    var ok = await WaitAsync(client, spec.Name, TimeSpan.FromSeconds(result.GetValue(timeout)), ct);
                    if (!ok)
                        return 1;
                }
                if (result.GetValue(detach) || result.GetValue(wait))
                {
                    if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                        Output.Json(await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(spec.Name), null, ct));
                    return 0;
                }
                return await FollowLogsAsync(client, spec.Name, ct);
            }
        );
        return command;
    }

    private static Command Ps()
    {
        var command = new Command(
            "ps",
            "List a project's replicas: service, replica, agent, state, health, ports, uptime, restarts"
        )
        {
            Files,
            ProjectName,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var name = NameOf(result);
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(name), null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(view);
                    return 0;
                }
                Output.Table(ReplicaTable.Headers, ReplicaTable.Rows(view, DateTimeOffset.UtcNow));
                return 0;
            }
        );
        return command;
    }

    private static Command Down()
    {
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove the project's named volumes too" };
        var command = new Command(
            "down",
            "Stop every replica of a project and remove it; waits until nothing of it is left"
        )
        {
            Files,
            ProjectName,
            volumes,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var name = NameOf(result);
                using var client = CommonOptions.Client(result);
                var removeVolumes = result.GetValue(volumes);
                var before = removeVolumes
                    ? await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(name), null, ct)
                    : null;
                var lastEvent = removeVolumes
                    ? (
                        await client.SendJsonAsync<ServiceEventListView>(
                            HttpMethod.Get,
                            $"{Path(name)}/events",
                            null,
                            ct
                        )
                    )
                        .Events.Select(e => e.Seq)
                        .DefaultIfEmpty(0)
                        .Max()
                    : 0;
                await client.SendJsonAsync<ProjectView>(
                    HttpMethod.Delete,
                    $"{Path(name)}{(removeVolumes ? "?volumes=true" : "")}",
                    null,
                    ct
                );
                Console.Error.WriteLine($"hearth: stopping project {name}");
                var deadline = DateTimeOffset.UtcNow.AddMinutes(5);
                while (DateTimeOffset.UtcNow < deadline)
                {
                    try
                    {
                        await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(name), null, ct);
                    }
                    catch (CliException e) when (e.Message.StartsWith("no project named", StringComparison.Ordinal))
                    {
                        Console.Error.WriteLine($"hearth: project {name} is down");
                        if (before is not null)
                            await ReportVolumesAsync(client, name, ProjectVolumes.Of(before.Spec), lastEvent, ct);
                        return 0;
                    }
                    await Task.Delay(500, ct);
                }
                throw new CliException(
                    $"project {name} is still going down after 5 minutes (see `hearth ps -p {name}`)"
                );
            }
        );
        return command;
    }

    private static Command Restart()
    {
        var service = new Argument<string>("service") { Description = "The service whose replicas restart" };
        var command = new Command("restart", "Restart every replica of a service") { Files, ProjectName, service };
        command.SetAction(
            async (result, ct) =>
            {
                var name = NameOf(result);
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<ProjectView>(
                    HttpMethod.Post,
                    $"{Path(name)}/services/{Uri.EscapeDataString(result.GetValue(service)!)}/restart",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine($"hearth: restarting {result.GetValue(service)}");
                return 0;
            }
        );
        return command;
    }

    private static Command Scale()
    {
        var target = new Argument<string[]>("service=replicas")
        {
            Description = "SERVICE=N, one or more",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("scale", "Set how many replicas of a service run: hearth scale api=3")
        {
            Files,
            ProjectName,
            target,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var wanted = new List<(string Service, int Replicas)>();
                foreach (var item in result.GetValue(target) ?? [])
                {
                    var eq = item.IndexOf('=');
                    if (
                        eq <= 0
                        || !int.TryParse(item[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    )
                        throw new CliException($"'{item}': expected SERVICE=N, e.g. api=3", 2);
                    wanted.Add((item[..eq], n));
                }
                var name = NameOf(result);
                using var client = CommonOptions.Client(result);
                ProjectView? view = null;
                foreach (var (service, replicas) in wanted)
                {
                    view = await client.SendJsonAsync<ProjectView>(
                        HttpMethod.Post,
                        $"{Path(name)}/services/{Uri.EscapeDataString(service)}/scale",
                        new ScaleBody(replicas),
                        ct
                    );
                    Console.Error.WriteLine($"hearth: {service} scaled to {replicas}");
                }
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view!);
                return 0;
            }
        );
        return command;
    }

    private static Command Events()
    {
        var follow = new Option<bool>("--follow", "-f")
        {
            Description = "Keep printing events as they happen (Ctrl-C to stop)",
        };
        var command = new Command(
            "events",
            "Print a project's replica events (created, started, healthy, unhealthy, exited, moved…)"
        )
        {
            FilesLongOnly,
            ProjectName,
            follow,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var name = NameOf(result);
                var json = result.GetValue(CommonOptions.Output) == OutputFormat.Json;
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<ServiceEventListView>(
                    HttpMethod.Get,
                    $"{Path(name)}/events",
                    null,
                    ct
                );
                if (!result.GetValue(follow))
                {
                    if (json)
                        Output.Json(list);
                    else
                        foreach (var e in list.Events)
                            Print(e);
                    return 0;
                }
                foreach (var e in list.Events)
                    PrintOne(e, json);
                var after = list.Events.Count > 0 ? list.Events[^1].Seq : 0;
                try
                {
                    // A poll of the event list: the same events the SSE stream carries, resumable after a dropped
                    // connection.
                    while (true)
                    {
                        await Task.Delay(500, ct);
                        var more = await client.SendJsonAsync<ServiceEventListView>(
                            HttpMethod.Get,
                            $"{Path(name)}/events?after={after}",
                            null,
                            ct
                        );
                        foreach (var e in more.Events)
                            PrintOne(e, json);
                        if (more.Events.Count > 0)
                            after = more.Events[^1].Seq;
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return 0;
                }
            }
        );
        return command;
    }

    private static Command Inspect()
    {
        var name = new Argument<string>("name")
        {
            Description = "A project, or one of its services or replicas (api, api-2)",
        };
        var command = new Command(
            "inspect",
            "Print the desired and actual state of a project, a service or a replica as JSON"
        )
        {
            Files,
            ProjectName,
            name,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var what = result.GetValue(name)!;
                var project = result.GetValue(ProjectName)
                    ?? (result.GetValue(Files) is { Length: > 0 } || DefaultFileExists() ? NameOf(result) : what);
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(project), null, ct);
                if (what == project)
                {
                    Output.Json(view);
                    return 0;
                }
                var service = view.Spec.Services.FirstOrDefault(s => s.Name == what);
                var replicas = view.Replicas.Where(r => r.Service == what || r.Name == what).ToList();
                if (service is null && replicas.Count == 0)
                    throw new CliException($"project {project} has no service or replica '{what}'", 2);
                Output.Json(
                    view with
                    {
                        Spec = view.Spec with
                        {
                            Services = service is not null
                                ? [service]
                                : [.. view.Spec.Services.Where(s => replicas.Any(r => r.Service == s.Name))],
                        },
                        Replicas = replicas,
                    }
                );
                return 0;
            }
        );
        return command;
    }

    /// <summary>
    /// After <c>down -v</c>: prints each volume an agent reports removed (stdout), waiting a while for every one; those
    /// not reported are named on stderr (on no agent, an agent that is down, or still mounted by something).
    /// </summary>
    private static async Task ReportVolumesAsync(
        HearthClient client,
        string name,
        IReadOnlyList<string> volumes,
        long after,
        CancellationToken ct
    )
    {
        var left = new HashSet<string>(volumes, StringComparer.Ordinal);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (left.Count > 0 && DateTimeOffset.UtcNow < deadline)
        {
            var events = await client.SendJsonAsync<ServiceEventListView>(
                HttpMethod.Get,
                $"{Path(name)}/events?after={after}",
                null,
                ct
            );
            foreach (var e in events.Events)
            {
                after = e.Seq;
                if (e.Kind != ReplicaEventKind.VolumeRemoved)
                    continue;
                left.Remove(e.Service);
                Console.Out.WriteLine(e.Message);
            }
            if (left.Count > 0)
                await Task.Delay(500, ct);
        }
        foreach (var volume in left.Order(StringComparer.Ordinal))
            Console.Error.WriteLine(
                $"hearth: volume {volume}: no agent reported removing it yet (none holds it, one is down, or it is still mounted)"
            );
    }

    private static void PrintOne(ServiceEventView e, bool json)
    {
        if (json)
            Output.Json(e);
        else
            Print(e);
    }

    private static void Print(ServiceEventView e) =>
        Console.Out.WriteLine(
            $"{e.At.ToLocalTime():yyyy-MM-dd HH:mm:ss} {e.Service}-{e.Replica} {Snake(e.Kind.ToString())}: {e.Message}"
        );

    /// <summary>Waits until every replica runs and is ready; progress lines on stderr.</summary>
    private static async Task<bool> WaitAsync(HearthClient client, string name, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var said = "";
        while (DateTimeOffset.UtcNow < deadline)
        {
            var view = await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(name), null, ct);
            var ready = view.Replicas.Where(r => Ready(view, r)).ToList();
            var line =
                $"hearth: {ready.Count}/{view.Replicas.Count} replica(s) ready"
                + string.Concat(
                    view.Replicas.Where(r => !Ready(view, r))
                        .Take(3)
                        .Select(r => $"; {r.Name} {Snake(r.State.ToString())}{(r.Waiting is { } w ? $" ({w})" : "")}")
                );
            if (line != said)
                Console.Error.WriteLine(said = line);
            if (ready.Count == view.Replicas.Count)
                return true;
            // A roll that failed never gets ready: say why at once instead of waiting for the timeout.
            if (view.Replicas.FirstOrDefault(r => r.RolledBack is not null) is { } halted)
            {
                Console.Error.WriteLine(
                    $"hearth: rolling update of {halted.Service} halted at {halted.Name}: {halted.RolledBack}"
                );
                return false;
            }
            // A tenth of a second: the server acts on each change at once, so a longer pause would be most of the wait.
            await Task.Delay(100, ct);
        }
        Console.Error.WriteLine(
            $"hearth: project {name} not ready after {timeout.TotalSeconds:0} s (see `hearth ps -p {name}`)"
        );
        return false;
    }

    private static bool Ready(ProjectView view, ReplicaView replica)
    {
        var service = view.Spec.Services.FirstOrDefault(s => s.Name == replica.Service);
        if (service is null)
            return false;
        // A one-shot service (restart: no) that exited 0 is done, as compose's service_completed_successfully.
        if (replica is { State: ReplicaPhase.Exited, ExitCode: 0 } && service.Restart.Mode == RestartMode.No)
            return true;
        return replica.State == ReplicaPhase.Running
            && replica.Current
            && (service.HealthCheck is null || replica.Health == ReplicaHealth.Healthy);
    }

    /// <summary>
    /// Follows the log of every replica's current task, each line prefixed with the replica's name, until Ctrl-C.
    /// </summary>
    /// <param name="only">The replicas to follow (null: all).</param>
    /// <param name="from">The line the logs of the replicas' tasks running at the start are followed from (later ones:
    /// 0).</param>
    internal static async Task<int> FollowLogsAsync(
        HearthClient client,
        string name,
        CancellationToken ct,
        Func<ReplicaView, bool>? only = null,
        long from = 0
    )
    {
        Console.Error.WriteLine(
            "hearth: following the services' logs; Ctrl-C detaches (the services keep running; `hearth down` stops them)"
        );
        var first = true;
        var followed = new HashSet<string>(StringComparer.Ordinal);
        var followers = new List<Task>();
        var width = 0;
        var gate = new Lock();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var view = await client.SendJsonAsync<ProjectView>(HttpMethod.Get, Path(name), null, ct);
                width = Math.Max(width, view.Replicas.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
                var start = first ? from : 0;
                first = false;
                foreach (
                    var replica in view.Replicas.Where(r =>
                        r.RunId is not null && (only is null || only(r)) && followed.Add(r.RunId)
                    )
                )
                {
                    var prefix = replica.Name;
                    followers.Add(
                        Task.Run(
                            async () =>
                            {
                                try
                                {
                                    await foreach (var e in client.FollowAsync(replica.RunId!, start, ct))
                                    {
                                        if (e.Line is not { } line)
                                            continue;
                                        lock (gate)
                                            Console.Out.WriteLine($"{prefix.PadRight(width)} | {line.Text}");
                                    }
                                }
                                catch (Exception e) when (e is OperationCanceledException or CliException) { }
                            },
                            CancellationToken.None
                        )
                    );
                }
                await Task.Delay(1000, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (CliException e) when (e.Message.StartsWith("no project named", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"hearth: project {name} is gone");
            return 0;
        }
        Console.Error.WriteLine($"hearth: detached; project {name} keeps running");
        return 0;
    }

    internal static string Path(string name) => $"api/v1/projects/{Uri.EscapeDataString(name)}";

    private static string Snake(string value) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value);

    /// <summary>
    /// The name of the project of compose files <paramref name="files"/> (loaded with the environment, as up loads it).
    /// </summary>
    internal static string ProjectNameOf(string[] files)
    {
        var load = ComposeLoader.Load(new ComposeLoadOptions { Files = files, Environment = Environment() });
        if (!load.Success)
            throw new CliException(string.Join("\n", load.Errors.Select(e => e.ToString())), 2);
        return load.Project!.Name;
    }

    /// <summary>
    /// The project name: <c>-p</c>, else the compose file's (loaded with the environment, as up loads it).
    /// </summary>
    private static string NameOf(ParseResult result)
    {
        if (result.GetValue(ProjectName) is { Length: > 0 } name)
            return name;
        if (GivenFiles(result) is not { Length: > 0 } && !DefaultFileExists())
            throw new CliException("no project: give -p NAME or -f compose.yaml (none found here)", 2);
        return LoadProject(result, []).Name;
    }

    private static string[]? GivenFiles(ParseResult result) =>
        result.GetValue(Files) is { Length: > 0 } files ? files : result.GetValue(FilesLongOnly);

    private static bool DefaultFileExists() =>
        new[] { "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml" }.Any(File.Exists);

    private static Compose.Model.ComposeProject LoadProject(ParseResult result, IReadOnlyList<string> profiles)
    {
        var given = ComposeFiles(result);
        var load = ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = given,
                Profiles = profiles,
                ProjectName = result.GetValue(ProjectName),
                Environment = Environment(),
            }
        );
        if (!load.Success)
            throw new CliException(string.Join("\n", load.Errors.Select(e => e.ToString())), 2);
        return load.Project!;
    }

    private static string[] ComposeFiles(ParseResult result) =>
        GivenFiles(result) is { Length: > 0 } f
            ? f
            :
            [
                new[] { "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml" }.FirstOrDefault(
                    File.Exists
                )
                    ?? throw new CliException(
                        "no compose file given and none found (compose.yaml, docker-compose.yml); use -f FILE",
                        2
                    ),
            ];

    private static ProjectSpec SpecOf(
        Compose.Model.ComposeProject project,
        IReadOnlyDictionary<string, string> builtImages,
        string file
    )
    {
        var environment = Environment();
        var (spec, errors) = ProjectSpecBuilder.Build(
            project,
            path =>
            {
                var full = System.IO.Path.Combine(project.WorkingDirectory, path);
                return File.Exists(full) ? File.ReadAllText(full) : null;
            },
            key => environment.GetValueOrDefault(key),
            file,
            builtImages
        );
        if (errors.Count > 0)
            throw new CliException(string.Join("\n", errors.Select(e => e.ToString())), 2);
        foreach (var (path, message) in ProjectSpecBuilder.Ignored(project))
            Console.Error.WriteLine($"hearth: warning: {path}: {message}");
        return spec!;
    }

    private static Dictionary<string, string> Environment() =>
        System
            .Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)(e.Value ?? ""));
}
