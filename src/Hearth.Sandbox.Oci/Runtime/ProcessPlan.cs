namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>The validated process to run in the container.</summary>
internal sealed record ProcessPlan(
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Env,
    string WorkingDirectory,
    uint Uid,
    uint Gid
);
