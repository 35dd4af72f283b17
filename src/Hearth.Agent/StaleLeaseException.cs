namespace Hearth.Agent;

/// <summary>
/// The server no longer recognises this lease: another attempt owns the task. Stop the sandbox, report nothing.
/// </summary>
public sealed class StaleLeaseException(string taskId) : Exception($"task {taskId}: lease is stale")
{
    public string TaskId { get; } = taskId;
}

/// <summary>The server refused a call for a reason other than a stale lease.</summary>
public class AgentProtocolException(int status, string body, string? message = null)
    : Exception(message ?? $"server answered {status}: {body}")
{
    public int Status { get; } = status;

    public string Body { get; } = body;
}

/// <summary>
/// The server does not speak this agent's protocol version (AGENT_PROTOCOL_UNSUPPORTED): retrying cannot help. The
/// message is the server's, which says what it speaks.
/// </summary>
public sealed class AgentProtocolUnsupportedException(int status, string body, string message)
    : AgentProtocolException(status, body, message);
