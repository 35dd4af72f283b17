using Hearth.Core.Services;
using Hearth.Server.Secrets;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>
/// After a rotation of the secrets key (the new key in place, the old one in <c>secrets.old_key_files</c>), re-seals
/// the compose secrets of every stored project under the new key, as the Hearth secrets are re-encrypted, so the old
/// key can then be dropped. The nonce of each seal is kept, so no definition changes and nothing rolls.
/// </summary>
public sealed class ServiceSecretRotation(
    IServiceStore store,
    SecretKeyring keyring,
    ServiceSecretFiles files,
    ILogger<ServiceSecretRotation> logger
)
{
    /// <summary>Re-seals what is under an old key it knows; returns how many projects were rewritten.</summary>
    public async Task<int> RotateAsync(CancellationToken ct)
    {
        var rewritten = 0;
        var stuck = new List<string>();
        foreach (var project in await store.ListProjectsAsync(ct))
        {
            var changed = false;
            var services = new List<ServiceDefinition>();
            foreach (var service in project.Spec.Services)
            {
                var sealedFiles = new List<ServiceFile>();
                foreach (var file in service.Files)
                {
                    var resealed = file;
                    if (file.Sealed is { } seal && KeyOf(seal) != keyring.CurrentId)
                    {
                        if (keyring.Knows(KeyOf(seal)))
                            resealed = file with { Sealed = files.Reseal(project.Name, service.Name, file) };
                        else
                            stuck.Add($"{project.Name}/{service.Name}:{file.Target}");
                    }
                    changed |= !ReferenceEquals(resealed, file);
                    sealedFiles.Add(resealed);
                }
                services.Add(service with { Files = sealedFiles });
            }
            if (!changed)
                continue;
            // A project changed meanwhile (an up, a down) was sealed by that change: it is left as it is now.
            if (
                await store.ReplaceSpecAsync(
                    project.Name,
                    project.UpdatedAt,
                    project.Spec with
                    {
                        Services = services,
                    },
                    ct
                )
            )
                rewritten++;
        }
        if (rewritten > 0)
            logger.LogWarning(
                "re-sealed the compose secrets of {Count} project(s) under the current key {Key}",
                rewritten,
                keyring.CurrentId
            );
        if (stuck.Count > 0)
            logger.LogError(
                "compose secret(s) {Files} are sealed under a key this server does not have; their replicas will not start "
                    + "(add the old key to secrets.old_key_files, or up the project again)",
                string.Join(", ", stuck)
            );
        return rewritten;
    }

    private static string KeyOf(string seal) => seal.IndexOf(':') is var colon and > 0 ? seal[..colon] : "";
}
