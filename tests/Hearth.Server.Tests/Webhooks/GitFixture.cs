using System.Diagnostics;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// A real bare repository on disk (served over file://) and a work tree that commits and pushes to it.
/// </summary>
internal sealed class GitFixture : IDisposable
{
    public GitFixture()
    {
        Root = Directory.CreateTempSubdirectory("hearth-webhook-git-").FullName;
        Bare = Path.Combine(Root, "origin.git");
        Work = Path.Combine(Root, "work");
        Git(Root, "init", "-q", "--bare", "-b", "main", Bare);
        Git(Root, "init", "-q", "-b", "main", Work);
        Git(Work, "config", "user.email", "dev@example.com");
        Git(Work, "config", "user.name", "Dev");
        Git(Work, "remote", "add", "origin", Bare);
    }

    public string Root { get; }
    public string Bare { get; }
    public string Work { get; }
    public string Url => new Uri(Bare).AbsoluteUri;

    /// <summary>Writes the files, commits them on the branch and pushes; returns the commit's SHA.</summary>
    public string Commit(string branch, params (string Path, string Text)[] files)
    {
        if (Git(Work, "rev-parse", "--verify", "-q", "HEAD").Length > 0)
            Git(Work, "checkout", "-q", "-B", branch);
        else
            Git(Work, "checkout", "-q", "--orphan", branch);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(Work, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            Git(Work, "add", path);
        }
        Git(Work, "commit", "-q", "--allow-empty", "-m", "change");
        Git(Work, "push", "-q", "-f", "origin", branch);
        return Git(Work, "rev-parse", "HEAD").Trim();
    }

    public string Tag(string name)
    {
        Git(Work, "tag", "-f", name);
        Git(Work, "push", "-q", "-f", "origin", "refs/tags/" + name);
        return Git(Work, "rev-parse", "HEAD").Trim();
    }

    public static string Git(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !(args is ["rev-parse", "--verify", "-q", ..]))
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        return output;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
