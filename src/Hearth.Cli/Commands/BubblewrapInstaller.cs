using System.Diagnostics;

namespace Hearth.Cli.Commands;

/// <summary>
/// `hearth dev` on a fresh Debian or Ubuntu machine, run as root: installs bubblewrap with apt-get (as test.sh does)
/// rather than leaving the local agent without a sandbox. Says so on stderr; does nothing where it cannot.
/// </summary>
internal static class BubblewrapInstaller
{
    public static bool TryInstall()
    {
        if (!Environment.IsPrivilegedProcess || Find("apt-get") is not { } aptGet)
            return false;
        Console.Error.WriteLine(
            "hearth: no sandboxing driver is usable here; installing bubblewrap (apt-get install bubblewrap)"
        );
        return Run(aptGet, "update", "-qq")
            && Run(aptGet, "install", "-y", "-qq", "--no-install-recommends", "bubblewrap");
    }

    private static bool Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start);
        if (process is null)
            return false;
        // apt's progress goes to stderr with ours; its stdout too, so that stdout stays the URL and key lines.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                Console.Error.WriteLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
