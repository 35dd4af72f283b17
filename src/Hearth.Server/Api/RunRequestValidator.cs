using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Api;

/// <summary>Turns a request body into a task spec, or the list of what is wrong with it (field by field).</summary>
public static partial class RunRequestValidator
{
    public static readonly IReadOnlySet<string> PullPolicies = new HashSet<string> { "missing", "always", "never" };

    private static string ImageDrivers(IReadOnlyList<AgentDriverView> live) =>
        live.Any(d => d.RunsImages)
            ? string.Join(
                ", ",
                live.Where(d => d.RunsImages).Select(d => d.Name).Distinct().Order(StringComparer.Ordinal)
            )
            : "none";

    public static double MaxTimeoutSeconds => RunLimits.MaxTimeout.TotalSeconds;

    private const int MaxPids = RunLimits.MaxPids;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex DriverName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    /// <param name="lostAgentAttempts">Attempts a run gets when it names none (the server's
    /// retries.lost_agent_attempts).</param>
    /// <param name="live">
    /// What the drivers of the live agents can do (<see cref="AgentDriverView"/>): a request is checked against them,
    /// never against driver names. A driver no live agent runs is not refused here: the run waits, and says why.
    /// Null: no capability checks (a caller with no agents to ask).
    /// </param>
    public static (TaskSpec? Spec, int MaxAttempts, List<string> Errors) Validate(
        CreateRunBody body,
        int lostAgentAttempts = 1,
        IReadOnlyList<AgentDriverView>? live = null
    )
    {
        var errors = new List<string>();
        if (
            body.Image is null
            && (body.Command is null || body.Command.Count == 0 || string.IsNullOrWhiteSpace(body.Command[0]))
        )
            errors.Add("command: must name a program to run (or give an image, whose entrypoint and cmd run)");
        var named = body.Driver is { } asked ? live?.FirstOrDefault(d => d.Name == asked) : null;
        if (body.Image is not null && named is { RunsImages: false })
            errors.Add(
                $"driver: '{named.Name}' cannot run images (its filesystem isolation is {named.Filesystem}; "
                    + $"drivers that run images here: {ImageDrivers(live!)})"
            );
        foreach (var (key, _) in body.Env ?? [])
        {
            if (!EnvName().IsMatch(key))
                errors.Add($"env.{key}: not a valid variable name (letters, digits and _, not starting with a digit)");
        }
        errors.AddRange(ExecLimits.Check(body.Command ?? [], body.Env));
        if (body.TimeoutSeconds is { } timeout && !(timeout > 0 && timeout <= MaxTimeoutSeconds))
            errors.Add(
                $"timeout_seconds: must be a number of seconds above 0 and at most {MaxTimeoutSeconds} (30 days)"
            );
        if (body.Cpus is { } cpus && !(cpus > 0 && cpus <= 1024))
            errors.Add("cpus: must be above 0 and at most 1024");
        if (body.MemoryBytes is < 4 * 1024 * 1024)
            errors.Add("memory_bytes: must be at least 4 MiB");
        if (body.Pids is < 1 or > MaxPids)
            errors.Add($"pids: must be between 1 and {MaxPids} (the kernel's PID_MAX_LIMIT)");
        if (body.Image is { } image && Hearth.Core.Names.Names.ImageReference.Problem(image) is { } badImage)
            errors.Add($"image: {badImage}");
        var ports = new List<PublishedPort>();
        foreach (var (text, i) in (body.Publish ?? []).Select((t, i) => (t, i)))
        {
            if (PublishedPort.TryParse(text, out var port, out var why))
                ports.Add(port!);
            else
                errors.Add($"publish[{i}]: '{text}': {why}");
        }
        if (ports.Count > 0 && named is { Ports: false })
            errors.Add($"publish: the {named.Name} driver cannot publish ports");
        else if (ports.Count > 0 && body.Image is null && body.Driver is null)
            errors.Add("publish: only containers (--image) have ports to publish");
        if (body.Pull is { } pull && !PullPolicies.Contains(pull))
            errors.Add($"pull: '{pull}' is not a pull policy (expected missing, always or never)");
        if (body.Pull is not null && body.Image is null)
            errors.Add("pull: only runs in an image (--image) pull");
        if (body.Driver is { } driver && !DriverName().IsMatch(driver))
            errors.Add($"driver: '{driver}' is not a driver name (lower-case letters, digits and -)");
        string? imageDriver = null;
        if (body.Image is not null && body.Driver is null && live is not null)
        {
            // None live: the run waits for an agent that runs images (its requirement below), and says why meanwhile.
            imageDriver = live.Where(d => d.RunsImages)
                .Select(d => d.Name)
                .Order(StringComparer.Ordinal)
                .FirstOrDefault();
        }
        var maxAttempts = body.MaxAttempts ?? lostAgentAttempts;
        if (maxAttempts is < 1 or > 100)
            errors.Add("max_attempts: must be between 1 and 100");
        var retry = RetryRequestValidator.Validate(body.Retry, body.MaxAttempts, errors);
        var lockRequest = LockRequestValidator.Validate(body, errors);
        var git = GitRequestValidator.Validate(body, errors);
        if (errors.Count > 0)
            return (null, maxAttempts, errors);
        if (retry is not null)
            maxAttempts = retry.MaxAttempts;

        var requirements = new Dictionary<string, string>(body.Requirements ?? [], StringComparer.Ordinal);
        var driverName = body.Driver ?? imageDriver;
        if (driverName is { } d)
            requirements[$"driver.{d}"] = "true";
        else if (body.Image is not null)
            requirements[DriverLabels.Images] = "true";
        var spec = new TaskSpec
        {
            Command = body.Command ?? [],
            Env = body.Env ?? [],
            Secrets = body.Secrets?.Distinct(StringComparer.Ordinal).ToList() ?? [],
            Driver = driverName,
            Image = body.Image,
            Pull = body.Pull is "missing" ? null : body.Pull,
            Network = body.Network || ports.Count > 0,
            Ports = ports,
            Cpus = body.Cpus,
            MemoryBytes = body.MemoryBytes,
            Pids = body.Pids,
            Timeout = body.TimeoutSeconds is { } t ? TimeSpan.FromSeconds(t) : null,
            Requirements = requirements,
            Retry = retry,
            Lock = lockRequest,
            Git = git,
        };
        return (spec, maxAttempts, errors);
    }
}
