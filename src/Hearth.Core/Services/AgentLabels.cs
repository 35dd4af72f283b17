namespace Hearth.Core.Services;

/// <summary>Labels the server itself gives every agent at registration.</summary>
public static class AgentLabels
{
    /// <summary>The agent's name: a replica's task requires it, so only the agent it was placed on takes it.</summary>
    public const string Name = "hearth.agent";
}
