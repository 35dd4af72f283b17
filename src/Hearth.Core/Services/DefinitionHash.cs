using System.Security.Cryptography;
using System.Text;

namespace Hearth.Core.Services;

/// <summary>
/// The hash of what a replica runs: the service's definition without its replica count, so scaling rolls nothing
/// and any other change (image, command, environment, mounts, health check…) rolls every replica.
/// </summary>
public static class DefinitionHash
{
    public static string Of(ServiceDefinition service)
    {
        var canonical = service with
        {
            Replicas = 1,
            Env = new SortedDictionary<string, string>(service.Env.ToDictionary(), StringComparer.Ordinal),
        };
        var json = HearthJson.Serialize(canonical);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }
}
