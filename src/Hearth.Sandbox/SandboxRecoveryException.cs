namespace Hearth.Sandbox;

/// <summary>A sandbox cannot be found again from its handle (gone, or its driver cannot recover at all).</summary>
public sealed class SandboxRecoveryException(string message, Exception? inner = null) : Exception(message, inner);
