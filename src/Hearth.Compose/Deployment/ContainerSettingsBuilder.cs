using System.Globalization;
using Hearth.Compose.Model;
using Hearth.Core.Services;

namespace Hearth.Compose.Deployment;

/// <summary>
/// A service's <c>cap_add</c>, <c>cap_drop</c>, <c>sysctls</c>, <c>user</c>, <c>working_dir</c>, <c>read_only</c>,
/// <c>stop_signal</c>, <c>stop_grace_period</c> and <c>shm_size</c> as the agent applies them, each value checked here
/// so that a bad one is refused by <c>hearth up</c> naming the service and key rather than when a replica starts.
/// </summary>
public static class ContainerSettingsBuilder
{
    /// <returns>Null when the service sets none of them.</returns>
    public static ContainerSettings? Build(ComposeService s, string at, Action<string, string> error)
    {
        var settings = new ContainerSettings
        {
            CapAdd = Capabilities(s.CapAdd, $"{at}.cap_add", error),
            CapDrop = Capabilities(s.CapDrop, $"{at}.cap_drop", error),
            Sysctls = Sysctls(s.Other.GetValueOrDefault("sysctls"), $"{at}.sysctls", error),
            User = User(s.User, $"{at}.user", error),
            WorkingDir = WorkingDir(s.WorkingDir, $"{at}.working_dir", error),
            ReadOnlyRoot = s.ReadOnly,
            StopSignal = Signal(s.StopSignal, $"{at}.stop_signal", error),
            StopGracePeriod = s.StopGracePeriod,
            ShmSizeBytes = ShmSize(s.Other.GetValueOrDefault("shm_size"), $"{at}.shm_size", error),
        };
        if (s.StopGracePeriod is { } grace && (grace < TimeSpan.Zero || grace > TimeSpan.FromHours(1)))
            error($"{at}.stop_grace_period", "must be between 0 and 1h");
        var none =
            settings is
            {
                CapAdd.Count: 0,
                CapDrop.Count: 0,
                Sysctls.Count: 0,
                User: null,
                WorkingDir: null,
                ReadOnlyRoot: false,
                StopSignal: null,
                StopGracePeriod: null,
                ShmSizeBytes: null
            };
        return none ? null : settings;
    }

    private static IReadOnlyList<string> Capabilities(
        IReadOnlyList<string> names,
        string path,
        Action<string, string> error
    )
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (LinuxCapabilities.Normalize(name) is { } known)
                result.Add(known);
            else
                error(path, $"\"{name}\" is not a Linux capability (such as NET_ADMIN or CAP_SYS_TIME, or ALL)");
        }
        return [.. result];
    }

    private static SortedDictionary<string, string> Sysctls(
        ComposeValue? value,
        string path,
        Action<string, string> error
    )
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string? text)
        {
            var normalized = NamespacedSysctls.Normalize(name);
            if (NamespacedSysctls.Refusal(normalized) is { } why)
                error($"{path}.{name}", $"Hearth does not set sysctl `{name}` ({why})");
            else if (string.IsNullOrWhiteSpace(text) || text.Contains('\n') || text.Contains('\0'))
                error($"{path}.{name}", "expected a value (name=value)");
            else
                result[normalized] = text.Trim();
        }
        switch (value)
        {
            case null or ComposeValue.NullValue:
                break;
            case ComposeValue.ListValue list:
                foreach (var item in list.Items)
                {
                    var text = Scalar(item);
                    var eq = text?.IndexOf('=') ?? -1;
                    if (text is null || eq <= 0)
                        error(path, $"\"{text}\" is not name=value");
                    else
                        Add(text[..eq], text[(eq + 1)..]);
                }
                break;
            case ComposeValue.MapValue map:
                foreach (var (name, item) in map.Entries)
                    Add(name, Scalar(item));
                break;
            default:
                error(path, "expected a list of name=value or a map of names to values");
                break;
        }
        return result;
    }

    private static string? Scalar(ComposeValue value) =>
        value switch
        {
            ComposeValue.StringValue s => s.Value,
            ComposeValue.IntegerValue i => i.Value.ToString(CultureInfo.InvariantCulture),
            ComposeValue.NumberValue n => n.Value.ToString(CultureInfo.InvariantCulture),
            ComposeValue.BooleanValue b => b.Value ? "1" : "0",
            _ => null,
        };

    /// <summary>
    /// compose's <c>shm_size</c>: bytes, or a number with a unit (<c>256m</c>, <c>1gb</c>, <c>1.5g</c>); 0 is docker's
    /// default (64 MiB), as is leaving it out.
    /// </summary>
    private static long? ShmSize(ComposeValue? value, string path, Action<string, string> error)
    {
        long bytes;
        switch (value)
        {
            case null or ComposeValue.NullValue:
                return null;
            case ComposeValue.IntegerValue i:
                bytes = i.Value;
                break;
            case ComposeValue.StringValue { Value: var text } when ByteSize.TryParse(text, out var parsed):
                bytes = parsed;
                break;
            default:
                error(
                    path,
                    $"\"{Scalar(value)}\" is not a size: bytes, or a number with b, k, m or g (such as 256m or 1gb)"
                );
                return null;
        }
        if (bytes < 0)
            error(path, $"{bytes} is not a size: expected 0 (the default, 64m) or more bytes");
        return bytes > 0 ? bytes : null;
    }

    private static string? User(string? user, string path, Action<string, string> error)
    {
        if (user is null)
            return null;
        var parts = user.Split(':');
        if (
            parts.Length > 2
            || parts.Any(p =>
                p.Length == 0
                || p.Length > 64
                || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '$')
            )
        )
            error(path, $"\"{user}\" is not a user (uid, uid:gid, name or name:group)");
        return user;
    }

    private static string? WorkingDir(string? directory, string path, Action<string, string> error)
    {
        if (directory is null)
            return null;
        var parts = directory.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!directory.StartsWith('/') || directory.Contains('\0') || parts.Contains(".."))
            error(path, $"\"{directory}\" is not an absolute path without '..'");
        return "/" + string.Join('/', parts.Where(p => p != "."));
    }

    private static string? Signal(string? signal, string path, Action<string, string> error)
    {
        if (signal is null)
            return null;
        var name = StopSignals.Normalize(signal);
        if (name is null)
            error(path, $"\"{signal}\" is not a signal (such as SIGINT, QUIT or 3)");
        // SIGTERM is what the agent sends anyway: said explicitly, it changes nothing (nor the definition's hash).
        return name == "SIGTERM" ? null : name;
    }
}
