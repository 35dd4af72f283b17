using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>Real repositories served over git:// on loopback by git daemon, for git workspace tests.</summary>
public sealed class GitRepositories : IAsyncLifetime
{
    private Process? _daemon;

    public string Root { get; } = Directory.CreateTempSubdirectory("hearth-git-").FullName;
    public int Port { get; } = HearthCluster.FreePort();
    public string Url => $"git://127.0.0.1:{Port}/app";
    public string FirstCommit { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var repo = Path.Combine(Root, "app");
        Directory.CreateDirectory(Path.Combine(repo, "sub"));
        await GitAsync(repo, "init", "-q", "-b", "main");
        await File.WriteAllTextAsync(Path.Combine(repo, "sub", "version.txt"), "one\n");
        await GitAsync(repo, "add", ".");
        await GitAsync(repo, "commit", "-q", "-m", "one");
        await GitAsync(repo, "tag", "v1");
        FirstCommit = (await GitAsync(repo, "rev-parse", "HEAD")).Trim();
        await File.WriteAllTextAsync(Path.Combine(repo, "sub", "version.txt"), "two\n");
        // A script of the repository, which repository-scoped secrets may be given to.
        Directory.CreateDirectory(Path.Combine(repo, "ci"));
        await File.WriteAllTextAsync(
            Path.Combine(repo, "ci", "show.sh"),
            "#!/bin/sh\necho \"key=$SCOPED_KEY args=$*\"\n"
        );
        File.SetUnixFileMode(Path.Combine(repo, "ci", "show.sh"), (UnixFileMode)0b111_101_101);
        await GitAsync(repo, "add", ".");
        await GitAsync(repo, "commit", "-q", "-am", "two");
        await GitAsync(repo, "checkout", "-q", "-b", "feature");
        await File.WriteAllTextAsync(Path.Combine(repo, "sub", "version.txt"), "feature\n");
        await GitAsync(repo, "commit", "-q", "-am", "feature");
        await GitAsync(repo, "checkout", "-q", "main");
        // A fetch by SHA of a commit that no ref points at needs this on the serving side.
        await GitAsync(repo, "config", "uploadpack.allowAnySHA1InWant", "true");

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
                $"--base-path={Root}",
                "--listen=127.0.0.1",
                $"--port={Port}",
                "--reuseaddr",
                Root,
            }
        )
            info.ArgumentList.Add(arg);
        _daemon = Process.Start(info)!;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                await GitAsync(Root, "ls-remote", Url);
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_daemon is { HasExited: false })
            _daemon.Kill(entireProcessTree: true);
        _daemon?.Dispose();
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {await stderr}");
        return await stdout;
    }
}
