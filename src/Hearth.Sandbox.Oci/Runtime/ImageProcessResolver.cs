using Hearth.Sandbox.Oci.Images;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Combines the image's config (untrusted: it comes from whoever built the image) with the run's request
/// into the process to start. Docker's rules: the request's command replaces Cmd and keeps Entrypoint;
/// the request's environment overrides the image's.
/// </summary>
internal static class ImageProcessResolver
{
    private const int MaxArgs = 4096;
    private const int MaxEnv = 4096;
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static readonly string[] ForbiddenWorkingDirs = ["/proc", "/sys", "/dev"];

    public static ProcessPlan Resolve(StoredImage image, SandboxSpec spec)
    {
        var config = image.Config.Config;
        var entrypoint = CheckArgs(config?.Entrypoint ?? [], "Entrypoint");
        var cmd = spec.Command.Count > 0 ? CheckArgs(spec.Command, "command") : CheckArgs(config?.Cmd ?? [], "Cmd");
        var args = entrypoint.Concat(cmd).ToList();
        if (args.Count == 0)
            throw new SandboxStartException(
                "no command: the request has none and the image sets neither Entrypoint nor Cmd"
            );
        if (args[0].Length == 0)
            throw new SandboxStartException("the command's program name is empty");

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var entry in config?.Env ?? [])
        {
            var eq = entry?.IndexOf('=') ?? -1;
            if (entry is null || eq <= 0)
                throw new SandboxStartException($"image Env entry '{entry}' is not NAME=value");
            Put(entry[..eq], entry[(eq + 1)..], "image Env");
        }
        foreach (var (name, value) in spec.Environment)
            Put(name, value, "environment");
        if (!env.ContainsKey("PATH"))
            Put("PATH", DefaultPath[5..], "default");
        if (env.Count > MaxEnv)
            throw new SandboxStartException("too many environment variables");

        // A service's user and working directory (compose's user, working_dir) take the image's place.
        var user = spec.Container?.User is { } asked
            ? UserResolver.Resolve(asked, image.RootfsPath, "user")
            : UserResolver.Resolve(config?.User, image.RootfsPath);
        var workingDir = spec.Container?.WorkingDir is { } dir
            ? CheckWorkingDir(dir, "working_dir")
            : CheckWorkingDir(config?.WorkingDir);
        return new ProcessPlan(args, order.Select(n => $"{n}={env[n]}").ToList(), workingDir, user.Uid, user.Gid);

        void Put(string name, string value, string source)
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
                throw new SandboxStartException($"invalid {source} variable '{name}'");
            if (!env.ContainsKey(name))
                order.Add(name);
            env[name] = value;
        }
    }

    /// <summary>An absolute, normalized directory outside the kernel's pseudo-filesystems.</summary>
    internal static string CheckWorkingDir(string? workingDir, string what = "image WorkingDir")
    {
        if (string.IsNullOrEmpty(workingDir))
            return "/";
        if (workingDir.Contains('\0') || workingDir[0] != '/' || workingDir.Length > 4096)
            throw new SandboxStartException($"{what} '{workingDir}' must be an absolute path");
        var parts = workingDir.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
            throw new SandboxStartException($"{what} '{workingDir}' must not contain '..'");
        var normalized = "/" + string.Join('/', parts);
        foreach (var forbidden in ForbiddenWorkingDirs)
            if (normalized == forbidden || normalized.StartsWith(forbidden + "/", StringComparison.Ordinal))
                throw new SandboxStartException($"{what} '{workingDir}' is under {forbidden}, which is refused");
        return normalized;
    }

    private static IReadOnlyList<string> CheckArgs(IReadOnlyList<string?> args, string what)
    {
        if (args.Count > MaxArgs)
            throw new SandboxStartException($"{what} has too many arguments");
        foreach (var arg in args)
            if (arg is null || arg.Contains('\0'))
                throw new SandboxStartException($"{what} contains an invalid argument");
        return args!;
    }
}
