namespace Hearth.Sandbox.Running;

internal static class SandboxEnvironment
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// The command's whole environment: a sane PATH and HOME, then the spec's variables (which win), then the sandbox's
    /// ownership marks (which the orphan reaper finds it by: a spec cannot hide a process from it).
    /// Nothing comes from the agent's own environment.
    /// </summary>
    public static Dictionary<string, string> Build(SandboxSpec spec, string home)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = home,
        };
        foreach (var (key, value) in spec.Environment)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0') || value.Contains('\0'))
            {
                throw new SandboxStartException($"invalid environment variable name or value: '{key}'");
            }
            environment[key] = value;
        }
        foreach (var (key, value) in Reaping.SandboxMarks.Environment(spec.SandboxId, spec.ScratchRoot))
        {
            environment[key] = value;
        }
        return environment;
    }
}
