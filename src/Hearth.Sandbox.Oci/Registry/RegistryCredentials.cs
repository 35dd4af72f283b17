namespace Hearth.Sandbox.Oci.Registry;

/// <summary>A username and password (or identity token) for one registry.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    public string ToBasicHeaderValue() =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    public override string ToString() => $"RegistryCredentials({Username}, ***)";
}

/// <summary>Finds credentials for a registry host (host[:port] as in the image reference).</summary>
public interface ICredentialProvider
{
    RegistryCredentials? Find(string registry);
}

/// <summary>No credentials: anonymous access only.</summary>
public sealed class AnonymousCredentials : ICredentialProvider
{
    public RegistryCredentials? Find(string registry) => null;
}

/// <summary>A fixed map of registry host to credentials.</summary>
public sealed class StaticCredentials(IReadOnlyDictionary<string, RegistryCredentials> byRegistry) : ICredentialProvider
{
    public RegistryCredentials? Find(string registry) => byRegistry.GetValueOrDefault(registry);
}
