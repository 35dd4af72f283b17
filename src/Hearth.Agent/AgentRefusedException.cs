namespace Hearth.Agent;

/// <summary>
/// The server will not take this agent at all (its token is unknown or not an agent's): retrying cannot help.
/// </summary>
public sealed class AgentRefusedException(string message) : Exception(message);
