using System.Text.Json.Serialization;

namespace Hearth.Core.Logs;

[JsonConverter(typeof(UpperSnakeEnumConverter<LogStream>))]
public enum LogStream
{
    Stdout = 1,
    Stderr = 2,

    /// <summary>Lines Hearth itself writes into a run's log (lease lost, stop requested, …).</summary>
    System = 3,
}

/// <summary>One stored line of a run's log. <see cref="Seq"/> numbers lines from 0 within a run.</summary>
/// <param name="TaskId">The task that wrote it; null for lines about the whole run.</param>
/// <param name="Step">The workflow step the task is (its name), null for any other kind of task.</param>
public sealed record LogLine(
    long Seq,
    DateTimeOffset Time,
    LogStream Stream,
    string Text,
    int Attempt = 1,
    string? TaskId = null,
    string? Step = null
);
