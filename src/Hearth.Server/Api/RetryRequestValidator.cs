using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Api;

/// <summary>Turns the <c>retry</c> field of a run request into a <see cref="RetryPolicy"/>, or field errors.</summary>
public static partial class RetryRequestValidator
{
    public static RetryPolicy? Validate(RetryBody? body, int? maxAttempts, List<string> errors)
    {
        if (body is null)
            return null;
        var before = errors.Count;
        if (maxAttempts is { } m && body.MaxAttempts is { } r && m != r)
            errors.Add($"max_attempts: {m} disagrees with retry.max_attempts {r} (give one)");
        foreach (var code in body.ExitCodes ?? [])
        {
            if (code is < 1 or > 255)
                errors.Add($"retry.exit_codes: {code} is not a failing exit code (1 to 255)");
        }
        var backoff = RetryBackoff.Constant;
        if (
            body.Backoff is { } name
            && (int.TryParse(name, out _) || !Enum.TryParse(name, ignoreCase: true, out backoff))
        )
            errors.Add($"retry.backoff: '{body.Backoff}' is not constant, exponential or fibonacci");
        var delay = Seconds(body.DelaySeconds, "retry.delay_seconds", errors) ?? TimeSpan.Zero;
        var maxDelay = Seconds(body.MaxDelaySeconds, "retry.max_delay_seconds", errors);
        if (errors.Count > before)
            return null;

        var policy = new RetryPolicy
        {
            MaxAttempts = body.MaxAttempts ?? maxAttempts ?? 1,
            ExitCodes = body.ExitCodes?.Distinct().Order().ToList() ?? [],
            AgentLost = body.AgentLost ?? true,
            SandboxStartFailed = body.SandboxStartFailed ?? false,
            Backoff = backoff,
            Delay = delay,
            MaxDelay = maxDelay ?? (delay > new RetryPolicy().MaxDelay ? delay : new RetryPolicy().MaxDelay),
        };
        foreach (var error in policy.Validate())
            errors.Add(FieldError(error));
        return errors.Count > before ? null : policy;
    }

    private static TimeSpan? Seconds(double? seconds, string field, List<string> errors)
    {
        if (seconds is not { } s)
            return null;
        if (s < 0 || double.IsNaN(s) || s > TimeSpan.FromDays(7).TotalSeconds)
        {
            errors.Add($"{field}: must be between 0 and {TimeSpan.FromDays(7).TotalSeconds} seconds");
            return null;
        }
        return TimeSpan.FromSeconds(s);
    }

    /// <summary>
    /// "retry.delay must not be negative" → "retry.delay_seconds: must not be negative": the API's field names, as in
    /// every other field error.
    /// </summary>
    private static string FieldError(string error)
    {
        var named = ApiNames().Replace(error, "retry.$1_seconds");
        var space = named.IndexOf(' ');
        return space > 0 ? $"{named[..space]}:{named[space..]}" : named;
    }

    [GeneratedRegex(@"retry\.(max_delay|delay)\b")]
    private static partial Regex ApiNames();
}
