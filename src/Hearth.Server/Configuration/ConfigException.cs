namespace Hearth.Server.Configuration;

/// <summary>A configuration that cannot be used; the message names the file, line and key at fault.</summary>
public sealed class ConfigException(string message) : Exception(message);
