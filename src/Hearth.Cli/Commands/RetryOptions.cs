using System.CommandLine;
using System.Globalization;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>hearth run's --retry options, and their translation into the API's retry policy.</summary>
public sealed class RetryOptions
{
    public Option<int?> Retry { get; } =
        new("--retry") { Description = "Retry a failed attempt up to N times (what fails is chosen by --retry-on)" };
    public Option<string[]> On { get; } =
        new("--retry-on")
        {
            Description =
                "What is retried, comma-separated: exit:1,2 (those exit codes), agent-lost, start-failed (default: agent-lost)",
        };
    public Option<string?> Backoff { get; } =
        new("--retry-backoff") { Description = "constant (default), exponential or fibonacci" };
    public Option<string?> Delay { get; } =
        new("--retry-delay") { Description = "Wait before the first retry (e.g. 5s); the back-off grows from it" };
    public Option<string?> MaxDelay { get; } =
        new("--retry-max-delay") { Description = "No retry waits longer than this (e.g. 1m)" };

    public IEnumerable<Option> All => [Retry, On, Backoff, Delay, MaxDelay];

    public RetryBody? Body(ParseResult result) =>
        Parse(
            result.GetValue(Retry),
            result.GetValue(On) ?? [],
            result.GetValue(Backoff),
            result.GetValue(Delay),
            result.GetValue(MaxDelay)
        );

    public static RetryBody? Parse(int? retries, string[] on, string? backoff, string? delay, string? maxDelay)
    {
        if (retries is null)
        {
            if (on.Length > 0 || backoff is not null || delay is not null || maxDelay is not null)
                throw new CliException(
                    "--retry-on, --retry-backoff, --retry-delay and --retry-max-delay need --retry N",
                    2
                );
            return null;
        }
        if (retries is < 0 or > 99)
            throw new CliException($"--retry {retries}: must be between 0 and 99", 2);
        if (backoff is not null and not ("constant" or "exponential" or "fibonacci"))
            throw new CliException($"--retry-backoff '{backoff}': expected constant, exponential or fibonacci", 2);

        var exitCodes = new List<int>();
        bool agentLost = on.Length == 0,
            startFailed = false,
            inExitCodes = false;
        foreach (
            var token in on.SelectMany(o =>
                o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            )
        )
        {
            var code =
                token.StartsWith("exit:", StringComparison.Ordinal) ? token["exit:".Length..]
                : inExitCodes ? token
                : null;
            if (code is not null)
            {
                if (
                    !int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c is < 1 or > 255
                )
                    throw new CliException($"--retry-on '{token}': an exit code is a number from 1 to 255", 2);
                exitCodes.Add(c);
                inExitCodes = true;
                continue;
            }
            switch (token)
            {
                case "agent-lost":
                    agentLost = true;
                    break;
                case "start-failed":
                    startFailed = true;
                    break;
                default:
                    throw new CliException($"--retry-on '{token}': expected exit:CODES, agent-lost or start-failed", 2);
            }
        }
        return new RetryBody
        {
            MaxAttempts = retries + 1,
            ExitCodes = exitCodes,
            AgentLost = agentLost,
            SandboxStartFailed = startFailed,
            Backoff = backoff,
            DelaySeconds = Seconds(delay, "--retry-delay"),
            MaxDelaySeconds = Seconds(maxDelay, "--retry-max-delay"),
        };
    }

    private static double? Seconds(string? value, string option)
    {
        if (value is null)
            return null;
        if (!Durations.TryParse(value, out var d) || d < TimeSpan.Zero)
            throw new CliException($"{option} '{value}': expected a duration such as 200ms, 5s or 1m", 2);
        return d.TotalSeconds;
    }
}
