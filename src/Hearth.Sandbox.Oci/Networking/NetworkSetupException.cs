namespace Hearth.Sandbox.Oci.Networking;

/// <summary>A step of setting up or tearing down a container's network failed.</summary>
public sealed class NetworkSetupException(string message, Exception? inner = null) : Exception(message, inner);
