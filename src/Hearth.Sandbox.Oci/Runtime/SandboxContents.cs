using System.Globalization;
using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// What a sandbox gets beyond its image: bind mounts (host paths, named volumes' directories), tmpfs mounts with their
/// size, and files (compose secrets and configs) written beside the rootfs with their mode, then bound read-only at
/// their targets. The files belong to the container's root (in a user namespace, its host id), so a mode of 0400
/// means what it says inside; they go with the sandbox's scratch directory.
/// </summary>
internal static class SandboxContents
{
    private const long DefaultTmpfsBytes = 64L << 20;

    /// <summary>
    /// Checks the request before anything is made: absolute targets, existing bind sources, sane sizes and modes.
    /// </summary>
    public static void Validate(SandboxSpec spec)
    {
        if (
            spec.Hostname is { } hostname
            && (hostname.Length is 0 or > 63 || !hostname.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        )
            throw new SandboxStartException($"hostname '{hostname}': expected up to 63 letters, digits, '-' and '.'");
        foreach (var network in spec.Networks)
        {
            if (
                network.Name.Length is 0 or > 128
                || !network.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            )
                throw new SandboxStartException(
                    $"network '{network.Name}': expected up to 128 letters, digits, '-', '_' and '.'"
                );
        }
        if (spec.Networks.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() != spec.Networks.Count)
            throw new SandboxStartException("a network is named twice");
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in spec.Mounts)
        {
            CheckTarget(mount.Target, $"mount {mount.Target}", targets);
            switch (mount.Kind)
            {
                case SandboxMountKind.Bind
                    when string.IsNullOrEmpty(mount.Source) || !Path.IsPathFullyQualified(mount.Source):
                    throw new SandboxStartException(
                        $"mount {mount.Target}: the bind source must be an absolute host path"
                    );
                case SandboxMountKind.Bind when !File.Exists(mount.Source) && !Directory.Exists(mount.Source):
                    throw new SandboxStartException(
                        $"mount {mount.Target}: the bind source {mount.Source} does not exist"
                    );
                case SandboxMountKind.Tmpfs when mount.SizeBytes is <= 0:
                    throw new SandboxStartException($"mount {mount.Target}: a tmpfs size must be positive");
            }
        }
        foreach (var file in spec.Files)
        {
            CheckTarget(file.Target, $"file {file.Target}", targets);
            if (file.Mode is < 0 or > 0xFFF)
                throw new SandboxStartException(
                    $"file {file.Target}: mode {Convert.ToString(file.Mode, 8)} is not a permission mode"
                );
        }
    }

    /// <summary>
    /// Writes the files into <paramref name="directory"/>; returns the runtime spec's mounts for all of it.
    /// </summary>
    public static IReadOnlyList<JsonNode> Write(SandboxSpec spec, string directory, IdMapping? ids)
    {
        var mounts = new List<JsonNode>();
        foreach (var mount in spec.Mounts)
        {
            mounts.Add(
                mount.Kind == SandboxMountKind.Bind
                    ? Mount(
                        mount.Target,
                        "bind",
                        mount.Source!,
                        "rbind",
                        mount.ReadOnly ? "ro" : "rw",
                        "nosuid",
                        "nodev"
                    )
                    : Mount(
                        mount.Target,
                        "tmpfs",
                        "tmpfs",
                        "nosuid",
                        "nodev",
                        "mode=1777",
                        "size=" + (mount.SizeBytes ?? DefaultTmpfsBytes).ToString(CultureInfo.InvariantCulture),
                        mount.ReadOnly ? "ro" : "rw"
                    )
            );
        }
        if (spec.Files.Count == 0)
            return mounts;
        // Walkable, not listable: in a user namespace the container's root reaches its files by path.
        Directory.CreateDirectory(
            directory,
            UnixFileMode.UserRead
                | UnixFileMode.UserWrite
                | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute
                | UnixFileMode.OtherExecute
        );
        for (var i = 0; i < spec.Files.Count; i++)
        {
            var file = spec.Files[i];
            var path = Path.Combine(directory, i.ToString(CultureInfo.InvariantCulture));
            using (
                var stream = new FileStream(
                    path,
                    new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew,
                        Access = FileAccess.Write,
                        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    }
                )
            )
            {
                stream.Write(file.Content);
            }
            if (ids is not null)
                Libc.LChown(path, ids.HostIdBase, ids.HostIdBase);
            File.SetUnixFileMode(path, (UnixFileMode)file.Mode);
            mounts.Add(Mount(file.Target, "bind", path, "rbind", "ro", "nosuid", "nodev", "noexec"));
        }
        return mounts;
    }

    private static void CheckTarget(string target, string what, HashSet<string> seen)
    {
        if (!target.StartsWith('/') || target.Split('/').Any(part => part is ".." or "."))
            throw new SandboxStartException($"{what}: the target must be an absolute path without . or .. parts");
        if (target.TrimEnd('/') is "" or "/proc" or "/sys" or "/dev")
            throw new SandboxStartException($"{what}: cannot mount over {target}");
        if (!seen.Add(target.TrimEnd('/')))
            throw new SandboxStartException($"{what}: the target is used twice");
    }

    private static JsonNode Mount(string destination, string type, string source, params string[] options) =>
        new JsonObject
        {
            ["destination"] = destination,
            ["type"] = type,
            ["source"] = source,
            ["options"] = new JsonArray(options.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
        };
}
