namespace Hearth.Core.Logs;

/// <summary>A line as an agent ships it, before the server numbers it.</summary>
public sealed record AgentLogLine(DateTimeOffset Time, LogStream Stream, string Text);
