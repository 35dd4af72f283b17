using Hearth.Core.Services;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Secrets;

namespace Hearth.Server.Services;

/// <summary>
/// Compose <c>secrets:</c> of a project: what <c>hearth up</c> sends in plain is sealed (encrypted under the secrets
/// key, bound to its project, service and target) before the spec is stored; a Hearth secret named by an
/// <c>external</c> one must be usable by the deployer. Views show neither; only the assignment of a replica's task
/// opens them, for its agent.
/// </summary>
public sealed class ServiceSecretFiles(SecretKeyring keyring, RunAccess access)
{
    /// <summary>
    /// The spec to store: each secret's content sealed (the previous seal kept where the content did not change, so a
    /// second <c>up</c> rolls nothing), or why it cannot be stored.
    /// </summary>
    public async Task<(ProjectSpec? Spec, IResult? Error)> SealAsync(
        ProjectSpec spec,
        ProjectSpec? previous,
        Caller caller,
        CancellationToken ct
    )
    {
        var services = new List<ServiceDefinition>();
        foreach (var service in spec.Services)
        {
            var files = new List<ServiceFile>();
            foreach (var file in service.Files)
            {
                var at = $"services.{service.Name}.files[{file.Target}]";
                if (file.Sealed is not null)
                    return (null, ApiResults.Invalid($"{at}.sealed: set by the server only"));
                if (file.SecretName is { } name)
                {
                    var request = new SecretRequest(
                        name,
                        null,
                        "a service replica runs an image, not a repository's code"
                    );
                    if (await access.CheckAsync(caller, false, [request], ct) is { } refused)
                        return (null, refused);
                    files.Add(file with { Content = null });
                    continue;
                }
                if (!file.Secret || file.Content is null)
                {
                    files.Add(file);
                    continue;
                }
                var old = previous
                    ?.Services.FirstOrDefault(s => s.Name == service.Name)
                    ?.Files.FirstOrDefault(f => f.Target == file.Target && f.Sealed is not null);
                var keep = old is not null && TryOpen(spec.Name, service.Name, old) == file.Content;
                files.Add(
                    file with
                    {
                        Content = null,
                        Sealed = keep ? old!.Sealed : Seal(spec.Name, service.Name, file.Target, file.Content),
                    }
                );
            }
            services.Add(service with { Files = files });
        }
        return (spec with { Services = services }, null);
    }

    /// <summary>The spec as clients see it: no sealed content.</summary>
    public static ProjectSpec Redact(ProjectSpec spec) =>
        spec with
        {
            Services =
            [
                .. spec.Services.Select(s =>
                    s.Files.Any(f => f.Sealed is not null)
                        ? s with
                        {
                            Files = [.. s.Files.Select(f => f with { Sealed = null })],
                        }
                        : s
                ),
            ],
        };

    /// <summary>A sealed secret's content, for the assignment of a replica of <paramref name="service"/>.</summary>
    /// <exception cref="SecretUnavailableException">Its key is gone, or the seal does not belong to this
    /// place.</exception>
    public string Open(string project, string service, ServiceFile file)
    {
        var (keyId, ciphertext) = Parse(project, service, file);
        return keyring.Decrypt(AadName(project, service, file.Target), keyId, ciphertext);
    }

    private static (string KeyId, byte[] Ciphertext) Parse(string project, string service, ServiceFile file)
    {
        var sealedText = file.Sealed
            ?? throw new SecretUnavailableException($"secret file {file.Target} is not sealed");
        var colon = sealedText.IndexOf(':');
        try
        {
            return (colon > 0 ? sealedText[..colon] : "", Convert.FromBase64String(sealedText[(colon + 1)..]));
        }
        catch (FormatException)
        {
            throw new SecretUnavailableException($"secret file {file.Target} of {project}/{service} is corrupt");
        }
    }

    /// <summary>
    /// A secret file's seal re-encrypted under the current key, with the same nonce (see <see cref="DefinitionHash"/>).
    /// </summary>
    /// <exception cref="SecretUnavailableException">Its key is gone, or the seal does not belong to this
    /// place.</exception>
    public string Reseal(string project, string service, ServiceFile file)
    {
        var (keyId, ciphertext) = Parse(project, service, file);
        var (current, resealed) = keyring.Reencrypt(AadName(project, service, file.Target), keyId, ciphertext);
        return $"{current}:{Convert.ToBase64String(resealed)}";
    }

    private string? TryOpen(string project, string service, ServiceFile file)
    {
        try
        {
            return Open(project, service, file);
        }
        catch (SecretUnavailableException)
        {
            return null;
        }
    }

    private string Seal(string project, string service, string target, string content)
    {
        var (keyId, ciphertext) = keyring.Encrypt(AadName(project, service, target), content);
        return $"{keyId}:{Convert.ToBase64String(ciphertext)}";
    }

    private static string AadName(string project, string service, string target) =>
        $"service-file:{project}/{service}:{target}";
}
