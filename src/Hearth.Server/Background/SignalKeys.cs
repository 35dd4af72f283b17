namespace Hearth.Server.Background;

public static class SignalKeys
{
    public const string Work = "work";

    /// <summary>A run or one of its tasks changed state (or gained a line of Hearth's own).</summary>
    public static string Run(string runId) => RunPrefix + runId;

    public const string RunPrefix = "run:";

    /// <summary>An agent's lines were added to a run's log: wakes its followers, not what watches its state.</summary>
    public static string Lines(string runId) => "lines:" + runId;

    public static string Stop(string taskId) => "stop:" + taskId;

    /// <summary>An agent's record changed (it was drained).</summary>
    public static string Agent(string agentId) => AgentPrefix + agentId;

    public const string AgentPrefix = "agent:";

    /// <summary>
    /// A compose project's desired state or a replica's health changed: its reconciler should look again.
    /// </summary>
    public static string Project(string name) => ProjectPrefix + name;

    public const string ProjectPrefix = "project:";

    /// <summary>A repository was added, changed or removed: servers forget what they remembered of it.</summary>
    public static string Repository(string name) => RepositoryPrefix + name;

    public const string RepositoryPrefix = "repository:";
}
