using System.Text.RegularExpressions;
using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Turns an image's <c>User</c> ("", "uid", "uid:gid", "name", "name:group") into numeric ids, looking names
/// up in the image's own /etc/passwd and /etc/group. Those files are read only when no path component is a
/// symlink, so an image cannot make the host read its own files.
/// </summary>
internal static partial class UserResolver
{
    private const uint MaxId = 0x7fffffff;

    /// <param name="what">How errors name the setting: the image's <c>User</c>, or a service's <c>user</c>.</param>
    public static (uint Uid, uint Gid) Resolve(string? user, string rootfs, string what = "image User")
    {
        if (string.IsNullOrEmpty(user))
            return (0, 0);
        if (user.Length > 256)
            throw new SandboxStartException($"{what} is too long");
        var colon = user.IndexOf(':');
        var userPart = colon < 0 ? user : user[..colon];
        var groupPart = colon < 0 ? null : user[(colon + 1)..];

        uint uid;
        uint? primaryGid = null;
        if (TryId(userPart, out var numericUid))
        {
            uid = numericUid;
            var entry = ReadDatabase(rootfs, "passwd").FirstOrDefault(f => f.Length >= 4 && f[2] == userPart);
            if (entry is not null && TryId(entry[3], out var g))
                primaryGid = g;
        }
        else
        {
            CheckName(userPart, "user");
            var entry = ReadDatabase(rootfs, "passwd").FirstOrDefault(f => f.Length >= 4 && f[0] == userPart)
                ?? throw new SandboxStartException($"{what} '{userPart}' is not in the image's /etc/passwd");
            if (!TryId(entry[2], out uid) || !TryId(entry[3], out var g))
                throw new SandboxStartException($"image /etc/passwd has an invalid entry for '{userPart}'");
            primaryGid = g;
        }

        uint gid;
        if (groupPart is null)
            gid = primaryGid ?? 0;
        else if (TryId(groupPart, out var numericGid))
            gid = numericGid;
        else
        {
            CheckName(groupPart, "group");
            var entry = ReadDatabase(rootfs, "group").FirstOrDefault(f => f.Length >= 3 && f[0] == groupPart)
                ?? throw new SandboxStartException($"{what}: group '{groupPart}' is not in the image's /etc/group");
            if (!TryId(entry[2], out gid))
                throw new SandboxStartException($"image /etc/group has an invalid entry for '{groupPart}'");
        }
        return (uid, gid);
    }

    private static bool TryId(string text, out uint id) =>
        uint.TryParse(text, System.Globalization.NumberStyles.None, null, out id) && id <= MaxId;

    private static void CheckName(string name, string what)
    {
        if (!NamePattern().IsMatch(name))
            throw new SandboxStartException($"image {what} name '{name}' is not valid");
    }

    private static IEnumerable<string[]> ReadDatabase(string rootfs, string name)
    {
        var etc = Path.Combine(rootfs, "etc");
        var file = Path.Combine(etc, name);
        if (PathInspector.Lstat(etc) != PathKind.Directory || PathInspector.Lstat(file) != PathKind.Other)
            return [];
        var info = new FileInfo(file);
        if (info.Length > 4 * 1024 * 1024)
            throw new SandboxStartException($"image /etc/{name} is too large");
        return File.ReadAllLines(file).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(':'));
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$")]
    private static partial Regex NamePattern();
}
