namespace Hearth.Server.Background;

public static class SignalKeys
{
    public const string Work = "work";

    public static string Run(string runId) => "run:" + runId;

    public static string Stop(string taskId) => "stop:" + taskId;

    /// <summary>An agent's record changed (it was drained).</summary>
    public static string Agent(string agentId) => "agent:" + agentId;
}
