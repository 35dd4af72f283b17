namespace Hearth.Server.Secrets;

/// <summary>
/// A secret a run names cannot be handed out: deleted since, or not decryptable with the configured keys.
/// </summary>
public sealed class SecretUnavailableException(string message) : Exception(message);
