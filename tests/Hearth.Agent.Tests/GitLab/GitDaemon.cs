using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>A real repository served over git:// on loopback by git daemon: two commits on main.</summary>
public sealed class GitDaemon : IAsyncDisposable
{
    private Process? _daemon;

    public string Root { get; } = Directory.CreateTempSubdirectory("hearth-gitlab-git-").FullName;
    public int Port { get; } = FreePort();
    public string Url => $"git://127.0.0.1:{Port}/project";
    public string FirstCommit { get; private set; } = "";
    public string SecondCommit { get; private set; } = "";

    public static async Task<GitDaemon> StartAsync()
    {
        var git = new GitDaemon();
        var repo = Path.Combine(git.Root, "project");
        Directory.CreateDirectory(repo);
        await GitAsync(repo, "init", "-q", "-b", "main");
        await GitAsync(repo, "config", "user.email", "ci@example.com");
        await GitAsync(repo, "config", "user.name", "ci");
        await File.WriteAllTextAsync(Path.Combine(repo, "version.txt"), "one\n");
        await GitAsync(repo, "add", ".");
        await GitAsync(repo, "commit", "-q", "-m", "one");
        git.FirstCommit = (await GitAsync(repo, "rev-parse", "HEAD")).Trim();
        await File.WriteAllTextAsync(Path.Combine(repo, "version.txt"), "two\n");
        await GitAsync(repo, "commit", "-q", "-am", "two");
        git.SecondCommit = (await GitAsync(repo, "rev-parse", "HEAD")).Trim();
        var info = new ProcessStartInfo("git")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (
            var arg in new[]
            {
                "daemon",
                "--export-all",
                $"--base-path={git.Root}",
                "--listen=127.0.0.1",
                $"--port={git.Port}",
                "--reuseaddr",
                git.Root,
            }
        )
            info.ArgumentList.Add(arg);
        git._daemon = Process.Start(info)!;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                await GitAsync(git.Root, "ls-remote", git.Url);
                return git;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }

    public static async Task<string> GitAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
        return output;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        if (_daemon is { HasExited: false })
            _daemon.Kill(entireProcessTree: true);
        _daemon?.WaitForExit();
        _daemon?.Dispose();
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
