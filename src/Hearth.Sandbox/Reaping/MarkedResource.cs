namespace Hearth.Sandbox.Reaping;

/// <summary>
/// Something Hearth made on this host for one sandbox, found by its ownership mark.
/// </summary>
/// <param name="Name">What identifies it on the host: a pid, a container id, a path, an interface or namespace
/// name.</param>
/// <param name="SandboxId">The sandbox the mark names.</param>
/// <param name="Owner">
/// The owning agent's scratch root when the mark names it (a process's environment, a container's bundle, a directory's
/// place); null when only the sandbox id is marked (cgroups, namespaces, veths, nft elements), whose owner is then the
/// owner of another resource of the same sandbox.
/// </param>
public sealed record MarkedResource(ResourceKind Kind, string Name, string SandboxId, string? Owner)
{
    /// <summary>Removes it; idempotent (gone already is done). Set by the source that found it.</summary>
    public Func<CancellationToken, Task> Destroy { get; init; } = _ => Task.CompletedTask;
}
