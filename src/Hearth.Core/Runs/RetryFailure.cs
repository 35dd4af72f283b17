using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>How an attempt failed, as far as a retry policy cares.</summary>
[JsonConverter(typeof(UpperSnakeEnumConverter<RetryFailure>))]
public enum RetryFailure
{
    /// <summary>The command ran and exited non-zero.</summary>
    ExitCode,

    /// <summary>The agent stopped renewing its lease.</summary>
    AgentLost,

    /// <summary>The sandbox never started the command.</summary>
    SandboxStartFailed,

    /// <summary>Anything a policy cannot ask to retry (killed at its memory limit, a sandbox error mid-run).</summary>
    Other,
}
