namespace Hearth.Sandbox.Bubblewrap;

/// <summary>
/// The sandbox's /etc: generated files only, never the host's (which name its users, hosts and resolvers).
/// </summary>
internal static class EtcFiles
{
    public static readonly string[] Names = ["passwd", "group", "hosts", "hostname", "nsswitch.conf", "resolv.conf"];

    public static void Write(string directory, BubblewrapDriverOptions options, bool network)
    {
        var user = options.UserNamespace ? options.Uid : 0;
        var group = options.UserNamespace ? options.Gid : 0;
        var home = options.WorkingDirectory;
        var passwd = "root:x:0:0:root:/root:/bin/sh\n";
        var groups = "root:x:0:\n";
        if (user != 0)
        {
            passwd += $"sandbox:x:{user}:{group}:sandbox:{home}:/bin/sh\n";
        }
        if (group != 0)
        {
            groups += $"sandbox:x:{group}:\n";
        }
        passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        groups += "nogroup:x:65534:\n";

        File.WriteAllText(Path.Combine(directory, "passwd"), passwd);
        File.WriteAllText(Path.Combine(directory, "group"), groups);
        File.WriteAllText(
            Path.Combine(directory, "hosts"),
            $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{options.Hostname}\n"
        );
        File.WriteAllText(Path.Combine(directory, "hostname"), options.Hostname + "\n");
        File.WriteAllText(
            Path.Combine(directory, "nsswitch.conf"),
            "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
        );
        File.WriteAllText(Path.Combine(directory, "resolv.conf"), network ? HostNameservers() : "");
    }

    /// <summary>Only the nameserver lines of the host's resolver config, when the sandbox has a network.</summary>
    private static string HostNameservers()
    {
        try
        {
            var lines = File.ReadAllLines("/etc/resolv.conf")
                .Where(l =>
                    l.StartsWith("nameserver", StringComparison.Ordinal)
                    || l.StartsWith("options", StringComparison.Ordinal)
                );
            return string.Join('\n', lines) + "\n";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
