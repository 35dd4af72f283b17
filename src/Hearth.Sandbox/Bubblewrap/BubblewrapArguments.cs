namespace Hearth.Sandbox.Bubblewrap;

/// <summary>Builds bwrap's command line for one sandbox.</summary>
internal static class BubblewrapArguments
{
    /// <summary>Top-level names that are symlinks into /usr on merged-/usr systems, or directories elsewhere.</summary>
    private static readonly string[] UsrAliases = ["bin", "sbin", "lib", "lib64", "lib32", "libx32"];

    /// <summary>Host files under /etc that carry no host secrets and that ordinary programs need.</summary>
    private static readonly string[] SharedEtc = ["ld.so.cache", "alternatives", "localtime"];

    /// <summary>Extra /etc entries for TLS when the sandbox has a network.</summary>
    private static readonly string[] NetworkEtc = ["ssl", "ca-certificates", "ca-certificates.conf"];

    /// <param name="scratchDirectory">Host directory bound read-write as the working directory.</param>
    /// <param name="etcDirectory">Host directory holding the generated /etc files.</param>
    /// <param name="recordStatus">bwrap writes its JSON status lines (child-pid, exit-code) to descriptor 3.</param>
    public static List<string> Build(
        string bwrap,
        BubblewrapDriverOptions options,
        bool network,
        string scratchDirectory,
        string etcDirectory,
        IReadOnlyList<string> command,
        bool recordStatus = true
    )
    {
        var args = new List<string> { bwrap };
        if (options.UserNamespace)
        {
            args.AddRange(["--unshare-user", "--uid", options.Uid.ToString(), "--gid", options.Gid.ToString()]);
        }
        args.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]);
        if (!network)
        {
            args.Add("--unshare-net");
        }
        // No --die-with-parent: the sandbox outlives the agent, and bwrap (its monitor) records the command's exit
        // code in the status file (descriptor 3) for the agent that recovers it.
        if (recordStatus)
        {
            args.AddRange(["--json-status-fd", "3"]);
        }
        args.AddRange(["--new-session", "--cap-drop", "ALL", "--hostname", options.Hostname]);

        args.AddRange(["--ro-bind", "/usr", "/usr"]);
        foreach (var name in UsrAliases)
        {
            var host = "/" + name;
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, host]);
            }
            else if (Directory.Exists(host))
            {
                args.AddRange(["--ro-bind", host, host]);
            }
        }

        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/var/tmp"]);

        args.AddRange(["--dir", "/etc"]);
        foreach (var name in EtcFiles.Names)
        {
            args.AddRange(["--ro-bind", Path.Combine(etcDirectory, name), "/etc/" + name]);
        }
        foreach (var name in network ? [.. SharedEtc, .. NetworkEtc] : SharedEtc)
        {
            args.AddRange(["--ro-bind-try", "/etc/" + name, "/etc/" + name]);
        }

        args.AddRange(["--bind", scratchDirectory, options.WorkingDirectory, "--chdir", options.WorkingDirectory]);
        // The launching shell exported the host's working directory as PWD.
        args.AddRange(["--setenv", "PWD", options.WorkingDirectory]);
        // bwrap itself carries the ownership marks (the reaper finds it by them); the sandbox has no use for them.
        args.AddRange([
            "--unsetenv",
            Reaping.SandboxMarks.SandboxVariable,
            "--unsetenv",
            Reaping.SandboxMarks.OwnerVariable,
        ]);
        args.Add("--");
        args.AddRange(command);
        return args;
    }
}
