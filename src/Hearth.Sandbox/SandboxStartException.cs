namespace Hearth.Sandbox;

/// <summary>
/// The sandbox could not be created or the command could not be started (a failure class retries can match).
/// </summary>
public sealed class SandboxStartException(string message, Exception? inner = null) : Exception(message, inner);
