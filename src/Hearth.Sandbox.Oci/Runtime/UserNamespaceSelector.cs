namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Turns <c>--oci-userns</c> into an <see cref="IdMapping"/>: <c>off</c> (null), <c>BASE:SIZE</c>, or <c>auto</c>,
/// which is on where it can work: the process is root (it must chown the shifted trees) and the kernel allows user
/// namespaces (<c>/proc/sys/user/max_user_namespaces</c> above 0). The range is the <c>hearth</c> entry of /etc/subuid
/// and /etc/subgid when both name the same one, else 100000:65536 (the range docker's <c>dockremap</c> user usually
/// gets).
/// </summary>
public static class UserNamespaceSelector
{
    public const string Auto = "auto";
    public const string Off = "off";
    public const string SubordinateName = "hearth";

    public static readonly IdMapping DefaultRange = new(100000, 65536);

    /// <exception cref="FormatException"><paramref name="requested"/> is none of auto, off or BASE:SIZE, or /etc/subuid
    /// and /etc/subgid disagree.</exception>
    public static IdMapping? Select(string requested) =>
        Select(
            requested,
            Environment.IsPrivilegedProcess,
            KernelAllowsUserNamespaces(),
            ReadFile("/etc/subuid"),
            ReadFile("/etc/subgid")
        );

    internal static IdMapping? Select(string requested, bool root, bool kernelAllows, string? subuid, string? subgid)
    {
        switch (requested)
        {
            case Off:
                return null;
            case Auto:
                if (!root || !kernelAllows)
                    return null;
                var uids = SubordinateRange(subuid, "/etc/subuid");
                var gids = SubordinateRange(subgid, "/etc/subgid");
                if (uids != gids)
                    throw new FormatException(
                        $"the '{SubordinateName}' ranges in /etc/subuid ({Show(uids)}) and /etc/subgid ({Show(gids)}) differ; Hearth maps uids and gids with one range"
                    );
                return uids ?? DefaultRange;
            default:
                return IdMapping.Parse(requested);
        }
    }

    /// <summary>The first <c>hearth:START:COUNT</c> line, or null.</summary>
    internal static IdMapping? SubordinateRange(string? file, string name)
    {
        if (file is null)
            return null;
        foreach (var line in file.Split('\n'))
        {
            var fields = line.Trim().Split(':');
            if (fields.Length != 3 || fields[0] != SubordinateName)
                continue;
            try
            {
                return IdMapping.Parse($"{fields[1]}:{fields[2]}");
            }
            catch (FormatException e)
            {
                throw new FormatException($"{name}: the '{SubordinateName}' entry: {e.Message}", e);
            }
        }
        return null;
    }

    private static string Show(IdMapping? range) => range?.ToString() ?? "none";

    private static bool KernelAllowsUserNamespaces()
    {
        var limit = ReadFile("/proc/sys/user/max_user_namespaces");
        return limit is not null && long.TryParse(limit.Trim(), out var max) && max > 0;
    }

    private static string? ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
