using Hearth.Compose.Model;

namespace Hearth.Compose.Binding;

/// <summary>
/// Parses the short volume syntax <c>[source:]target[:options]</c>. A source starting with <c>.</c>, <c>/</c> or
/// <c>~</c> is a bind mount (its path resolved by <paramref name="resolvePath"/>); otherwise it names a volume.
/// </summary>
public static class VolumeSyntax
{
    private static readonly HashSet<string> Propagations =
    [
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
    ];

    public static bool TryParse(
        string spec,
        Func<string, string> resolvePath,
        out ServiceVolume volume,
        out string error
    )
    {
        volume = null!;
        error = "";
        var parts = spec.Split(':');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            error = "expected [source:]target[:mode]";
            return false;
        }
        if (parts.Length == 1)
        {
            volume = new ServiceVolume(
                "volume",
                null,
                parts[0],
                false,
                null,
                null,
                new VolumeOptions(null, null),
                null
            );
            return true;
        }
        var source = parts[0];
        var target = parts[1];
        var options = parts.Length == 3 ? parts[2].Split(',') : [];
        bool readOnly = false,
            noCopy = false;
        string? consistency = null,
            propagation = null,
            selinux = null;
        foreach (var option in options)
        {
            switch (option)
            {
                case "ro":
                    readOnly = true;
                    break;
                case "rw":
                    readOnly = false;
                    break;
                case "nocopy":
                    noCopy = true;
                    break;
                case "z" or "Z":
                    selinux = option;
                    break;
                case "cached" or "delegated" or "consistent":
                    consistency = option;
                    break;
                default:
                    if (Propagations.Contains(option))
                        propagation = option;
                    else
                    {
                        error = $"unknown volume option \"{option}\"";
                        return false;
                    }
                    break;
            }
        }
        var isBind =
            source[0] is '.' or '/' or '~' || (source.Length > 1 && source[1] == ':' && char.IsAsciiLetter(source[0]));
        volume = isBind
            ? new ServiceVolume(
                "bind",
                resolvePath(source),
                target,
                readOnly,
                consistency,
                new BindOptions(propagation, true, selinux),
                null,
                null
            )
            : new ServiceVolume(
                "volume",
                source,
                target,
                readOnly,
                consistency,
                null,
                new VolumeOptions(noCopy ? true : null, null),
                null
            );
        return true;
    }
}
