using Hearth.Core.Runs;
using Hearth.Server.Api;
using Hearth.Server.Configuration;

namespace Hearth.Server.Auth;

/// <summary>
/// Which drivers a caller's role may ask for (<see cref="DriverOptions"/>), for every way a task is created. A task
/// that names no driver would run on whatever the agent defaults to, possibly the unsandboxed process driver; for a
/// role that may not use process it is pinned to bubblewrap, so it can only land on an agent that sandboxes it.
/// </summary>
public sealed class DriverPolicy(ServerOptions options)
{
    public const string DefaultSandbox = "bubblewrap";

    /// <summary>The spec as it will be queued (its driver pinned if need be), or the 403 that refuses it.</summary>
    public (TaskSpec? Spec, IResult? Refused) Apply(string role, TaskSpec spec)
    {
        if (spec.Driver is { } named)
            return Check(role, named) is { } refused ? (null, refused) : (spec, null);
        // An image no live agent could name a driver for: it waits for an agent with a driver that runs images (the
        // agent never runs an image with bubblewrap or process), so there is nothing unsandboxed to pin away from.
        if (spec.Image is not null)
            return (spec, null);
        var (driver, refusal) = ForUnnamed(role);
        return refusal is not null ? (null, refusal) : (Pin(spec, driver), null);
    }

    /// <summary>
    /// The driver of a task from <paramref name="role"/> that names none: null (the agent's default) for a role that
    /// may use process, else bubblewrap; refused for a role that may use neither.
    /// </summary>
    public (string? Driver, IResult? Refused) ForUnnamed(string role)
    {
        var allowed = options.Drivers.For(role);
        if (allowed.Contains(DriverOptions.Process))
            return (null, null);
        if (allowed.Contains(DefaultSandbox))
            return (DefaultSandbox, null);
        return (
            null,
            ApiResults.Error(
                StatusCodes.Status403Forbidden,
                "DRIVER_REQUIRED",
                $"role '{role}' must name a driver for a command (allowed: {Describe(allowed)})"
            )
        );
    }

    public IResult? Check(string role, string driver)
    {
        var allowed = options.Drivers.For(role);
        if (allowed.Contains(driver))
            return null;
        var why = driver == DriverOptions.Process ? " (it runs commands unsandboxed on the agent's host)" : "";
        return ApiResults.Error(
            StatusCodes.Status403Forbidden,
            "DRIVER_FORBIDDEN",
            $"role '{role}' may not use the {driver} driver{why}; allowed: {Describe(allowed)}"
        );
    }

    /// <summary>Names the driver and requires it, so only an agent that runs it takes the task.</summary>
    public static TaskSpec Pin(TaskSpec spec, string? driver) =>
        driver is null
            ? spec
            : spec with
            {
                Driver = driver,
                Requirements = new Dictionary<string, string>(spec.Requirements, StringComparer.Ordinal)
                {
                    [$"driver.{driver}"] = "true",
                },
            };

    private static string Describe(IReadOnlyList<string> allowed) =>
        allowed.Count == 0 ? "none" : string.Join(", ", allowed);
}
