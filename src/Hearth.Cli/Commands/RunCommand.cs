using System.CommandLine;
using System.Runtime.InteropServices;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Cli.Commands;

public static class RunCommand
{
    public static Command Create()
    {
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable (K=V), repeatable" };
        var timeout = new Option<string?>("--timeout")
        {
            Description = "Stop the run after this long (e.g. 30s, 10m, 1h)",
        };
        var cpus = new Option<double?>("--cpus", "--cpu") { Description = "CPU limit in cores (e.g. 1.5)" };
        var image = new Option<string?>("--image", "-i")
        {
            Description = "Run in this OCI image (driver oci); without a command, the image's entrypoint and cmd",
        };
        var pull = new Option<string?>("--pull")
        {
            Description =
                "With --image: missing (default: an image already on the agent is used as stored), always (resolve the tag at the registry) or never",
        };
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory limit (e.g. 512M, 1G)" };
        var pids = new Option<int?>("--pids") { Description = "Limit on processes and threads" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Print the run id and return at once" };
        var driver = new Option<string?>("--driver")
        {
            Description = "process or bubblewrap (default: the agent's, bubblewrap where it exists)",
        };
        var network = new Option<bool>("--network") { Description = "Give the sandbox a network (none by default)" };
        var publish = new Option<string[]>("--publish", "-p")
        {
            Description =
                "Publish a container port on the agent's host: [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp] (implies --network)",
        };
        var maxAttempts = new Option<int?>("--max-attempts")
        {
            Description =
                "Attempts in all when its agent is lost (default: the server's retries.lost_agent_attempts, 3)",
        };
        var labels = new Option<string?>("--labels") { Description = "Only agents with these labels (k=v,k2=v2)" };
        var secrets = new Option<string[]>("--secret")
        {
            Description = "Inject this secret as an environment variable, repeatable",
        };
        var idempotencyKey = new Option<string?>("--idempotency-key")
        {
            Description =
                "Create the run once: the same key again returns that run (a different request with it is refused)",
        };
        var retry = new RetryOptions();
        var workspace = new RunLockGitOptions();
        var commandArgs = new Argument<string[]>("command")
        {
            Description = "Command and arguments, after --",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("run", "Run a command on an agent, stream its output and exit with its exit code")
        {
            env,
            timeout,
            cpus,
            memory,
            pids,
            detach,
            driver,
            network,
            publish,
            maxAttempts,
            labels,
            image,
            pull,
            secrets,
            idempotencyKey,
            commandArgs,
        };
        foreach (var option in retry.All)
            command.Options.Add(option);
        foreach (var option in workspace.All)
            command.Options.Add(option);
        command.SetAction(
            async (result, ct) =>
            {
                if (
                    result.GetValue(commandArgs) is [{ } first, ..]
                    && first.StartsWith('-')
                    && UsageErrors.DidYouMean(first, command) is { } hint
                )
                    throw new CliException($"'{first}': not an option of hearth run ({hint})", 2);
                var body = BuildBody(
                    result.GetValue(commandArgs) ?? [],
                    result.GetValue(env) ?? [],
                    result.GetValue(timeout),
                    result.GetValue(cpus),
                    result.GetValue(memory),
                    result.GetValue(pids),
                    result.GetValue(driver),
                    result.GetValue(network),
                    result.GetValue(maxAttempts),
                    result.GetValue(labels),
                    result.GetValue(image)
                );
                body = body with
                {
                    Secrets = result.GetValue(secrets) is { Length: > 0 } names ? names : null,
                    Retry = retry.Body(result),
                };
                body = workspace.Apply(result, body);
                body = WithPorts(body, result.GetValue(publish) ?? []);
                body = WithPull(body, result.GetValue(pull)) with { IdempotencyKey = result.GetValue(idempotencyKey) };
                if (body.Retry is not null && body.MaxAttempts is not null)
                    throw new CliException("--max-attempts and --retry both set the number of attempts: give one", 2);
                using var client = CommonOptions.Client(result);
                var format = result.GetValue(CommonOptions.Output);
                var run = await client.CreateRunAsync(body, ct);
                if (result.GetValue(detach))
                {
                    if (format == OutputFormat.Json)
                        Output.Json(run);
                    else
                        Console.Out.WriteLine(run.Id);
                    return 0;
                }
                Console.Error.WriteLine($"hearth: run {run.Id}");
                return await FollowAsync(client, run.Id, format);
            }
        );
        return command;
    }

    private static CreateRunBody WithPorts(CreateRunBody body, string[] publish)
    {
        foreach (var text in publish)
        {
            if (!PublishedPort.TryParse(text, out _, out var why))
                throw new CliException($"--publish '{text}': {why}", 2);
        }
        if (publish.Length > 0 && body.Image is null)
            throw new CliException("--publish needs --image: only containers have ports to publish", 2);
        return publish.Length == 0 ? body : body with { Publish = publish, Network = true };
    }

    private static CreateRunBody WithPull(CreateRunBody body, string? pull)
    {
        if (pull is null)
            return body;
        if (!Server.Api.RunRequestValidator.PullPolicies.Contains(pull))
            throw new CliException($"--pull '{pull}': expected missing, always or never", 2);
        if (body.Image is null)
            throw new CliException("--pull needs --image", 2);
        return body with { Pull = pull };
    }

    /// <summary>Everything is checked here, before anything is created on the server.</summary>
    public static CreateRunBody BuildBody(
        string[] args,
        string[] env,
        string? timeout,
        double? cpus,
        string? memory,
        int? pids,
        string? driver,
        bool network,
        int? maxAttempts,
        string? labels,
        string? image = null
    )
    {
        if (image is null && (args.Length == 0 || string.IsNullOrWhiteSpace(args[0])))
            throw new CliException("no command given: put it after --, e.g. hearth run -- echo hi", 2);
        // An option the parser does not know lands in the command (it takes any word); no program is named "-…".
        if (args.Length > 0 && args[0].StartsWith('-'))
            throw new CliException(
                $"'{args[0]}': not an option of hearth run, and no program's name starts with '-' (see hearth run --help; the command goes after --)",
                2
            );
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in env)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new CliException($"--env '{pair}': expected KEY=VALUE", 2);
            variables[pair[..eq]] = pair[(eq + 1)..];
        }
        TimeSpan? limit = null;
        if (timeout is not null)
        {
            if (!Durations.TryParse(timeout, out var t) || t <= TimeSpan.Zero || t > RunLimits.MaxTimeout)
                throw new CliException(
                    $"--timeout '{timeout}': expected a duration above zero and at most 30d, such as 30s, 10m or 1h30m",
                    2
                );
            limit = t;
        }
        long? bytes = null;
        if (memory is not null)
        {
            if (!ByteSizes.TryParse(memory, out var b))
                throw new CliException($"--memory '{memory}': expected a size such as 512M or 1G", 2);
            if (b < 4L << 20)
                throw new CliException(
                    $"--memory '{memory}': must be at least 4M (a sandbox needs that much to start)",
                    2
                );
            bytes = b;
        }
        if (cpus is <= 0)
            throw new CliException($"--cpus {cpus}: must be more than 0", 2);
        if (pids is <= 0 or > RunLimits.MaxPids)
            throw new CliException($"--pids {pids}: must be between 1 and {RunLimits.MaxPids}", 2);
        Dictionary<string, string>? requirements;
        try
        {
            requirements = Core.Labels.LabelMatch.Parse(labels);
        }
        catch (FormatException e)
        {
            throw new CliException($"--labels: {e.Message}", 2);
        }
        return new CreateRunBody
        {
            Command = args,
            Env = variables,
            TimeoutSeconds = limit?.TotalSeconds,
            Cpus = cpus,
            MemoryBytes = bytes,
            Pids = pids,
            // An image without a driver goes to a driver some live agent runs images with (the server picks it).
            Driver = driver,
            Image = image,
            Network = network,
            MaxAttempts = maxAttempts,
            Requirements = requirements,
        };
    }

    /// <summary>
    /// Streams the run until it ends. Ctrl-C once kills the run (and keeps streaming); twice leaves at once.
    /// </summary>
    public static async Task<int> FollowAsync(
        HearthClient client,
        string runId,
        OutputFormat format,
        bool prefixSteps = false
    )
    {
        using var leave = new CancellationTokenSource();
        var interrupts = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                Console.Error.WriteLine($"hearth: killing run {runId} (Ctrl-C again to stop waiting)");
                _ = client.KillAsync(runId, CancellationToken.None);
            }
            else
            {
                leave.Cancel();
            }
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var printer = new LogPrinter(format, prefixSteps);
        try
        {
            await foreach (var e in client.FollowAsync(runId, 0, leave.Token))
            {
                if (e.Line is not null)
                {
                    printer.Write(e.Line);
                    printer.Flush();
                    continue;
                }
                printer.Flush();
                return RunEnd.Report(e.End!, format, workflow: prefixSteps);
            }
        }
        catch (OperationCanceledException) when (leave.IsCancellationRequested)
        {
            return ExitCodes.Killed;
        }
        throw new CliException($"the log stream of run {runId} ended without its end event", ExitCodes.PlatformFailure);
    }
}
