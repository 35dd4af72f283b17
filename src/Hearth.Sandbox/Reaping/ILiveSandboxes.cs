namespace Hearth.Sandbox.Reaping;

/// <summary>
/// The sandboxes an agent still owns: running, starting, or recoverable from a persisted handle. A sandbox id also
/// covers the ids made from it (<c>ID-git</c>, <c>ID-ws</c>; see <see cref="SandboxMarks.FamilyOf"/>).
/// </summary>
public interface ILiveSandboxes
{
    /// <summary>
    /// A snapshot; the reaper takes it after it has looked for resources, so a sandbox starting meanwhile is kept.
    /// </summary>
    IReadOnlyCollection<string> Current();
}

/// <summary>A fixed set (an agent that has not started any sandbox yet, the CLI, tests).</summary>
public sealed class FixedLiveSandboxes(IEnumerable<string> ids) : ILiveSandboxes
{
    private readonly IReadOnlyCollection<string> _ids = ids.ToList();

    public static FixedLiveSandboxes None { get; } = new([]);

    public IReadOnlyCollection<string> Current() => _ids;
}
