namespace Hearth.Sandbox.Oci.Registry;

/// <summary>The registry refused, answered something invalid, or content failed verification.</summary>
public class RegistryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The registry wants credentials Hearth does not have, or refused the ones it sent.</summary>
public sealed class RegistryAuthException(string message) : RegistryException(message);

/// <summary>Content whose digest or size does not match what the manifest promised.</summary>
public sealed class DigestMismatchException(string message) : RegistryException(message);
