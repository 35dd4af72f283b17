namespace Hearth.Sandbox;

/// <summary>An operation the driver does not offer (see <see cref="DriverCapabilities"/>), asked for anyway.</summary>
public sealed class SandboxCapabilityException(string message) : Exception(message);
