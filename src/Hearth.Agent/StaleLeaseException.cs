namespace Hearth.Agent;

/// <summary>The server no longer recognises this lease: another attempt owns the task. Stop the sandbox, report nothing.</summary>
public sealed class StaleLeaseException(string taskId) : Exception($"task {taskId}: lease is stale")
{
    public string TaskId { get; } = taskId;
}

/// <summary>The server refused a call for a reason other than a stale lease.</summary>
public sealed class AgentProtocolException(int status, string body) : Exception($"server answered {status}: {body}")
{
    public int Status { get; } = status;

    public string Body { get; } = body;
}
