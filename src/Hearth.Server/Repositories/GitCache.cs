using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Hearth.Server.Configuration;

namespace Hearth.Server.Repositories;

/// <summary>
/// The server's cached bare clones, one per repository (DATA_DIR/git-cache/NAME), from which workflow files are read at
/// the commit a webhook named. Only that commit is fetched (depth 1). The token reaches git through GIT_ASKPASS reading
/// the environment: never a command line, a URL or a log line. One fetch at a time per repository.
/// </summary>
public sealed class GitCache(ServerOptions options, ILogger<GitCache> logger)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    public const long MaxFileBytes = 1024 * 1024;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly string _root = Path.Combine(options.DataDir, "git-cache");

    /// <summary>At most this many commits and files are remembered in memory (then forgotten all at once).</summary>
    public const int MemoryEntries = 4096;

    // A commit's content never changes, so what was read at a commit stays true: repeats of one push (several events,
    // redeliveries, several workflows) run no git process at all.
    private readonly ConcurrentDictionary<(string Name, string Commit), bool> _commits = new();
    private readonly ConcurrentDictionary<(string Name, string Commit, string Path), string?> _files = new();

    /// <summary>
    /// Fetches <paramref name="want"/> (a commit SHA, a branch, a tag or a full ref) and returns the commit it names. A
    /// SHA the server will not serve by itself (old git servers refuse unadvertised objects) is fetched through
    /// <paramref name="fallbackRef"/>, and must then be that ref's commit or reachable in the fetched history.
    /// </summary>
    public async Task<string> FetchAsync(GitAccess access, string want, string? fallbackRef, CancellationToken ct)
    {
        if (IsSha(want) && _commits.ContainsKey((access.Name, want)))
            return want;
        var commit = await FetchOnceAsync(access, want, fallbackRef, ct);
        Remember(_commits, (access.Name, commit), true);
        return commit;
    }

    private async Task<string> FetchOnceAsync(GitAccess access, string want, string? fallbackRef, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(access.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var dir = await EnsureAsync(access, ct);
            // A commit the cache holds already (a redelivery, several events of one push) needs no fetch.
            if (IsSha(want) && (await RunAsync(access, dir, ct, "cat-file", "-e", want + "^{commit}")).Code == 0)
                return want;
            var fetched = await RunAsync(access, dir, ct, "fetch", "-q", "--no-tags", "--depth", "1", access.Url, want);
            if (fetched.Code != 0 && fallbackRef is not null && IsSha(want))
            {
                var retry = await RunAsync(access, dir, ct, "fetch", "-q", "--no-tags", access.Url, fallbackRef);
                if (retry.Code != 0)
                    throw new GitException($"git fetch of {fallbackRef} from {access.Url} failed: {retry.Said}");
                if ((await RunAsync(access, dir, ct, "cat-file", "-e", want + "^{commit}")).Code != 0)
                    throw new GitException($"commit {want} is not on {fallbackRef} of {access.Url}");
                return want;
            }
            if (fetched.Code != 0)
                throw new GitException($"git fetch of {want} from {access.Url} failed: {fetched.Said}");
            var head = await RunAsync(access, dir, ct, "rev-parse", "--verify", "FETCH_HEAD^{commit}");
            if (head.Code != 0)
                throw new GitException($"{want} of {access.Url} is not a commit");
            return head.Out.Trim();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The file's text at <paramref name="commit"/>, or null when the commit has no such file.</summary>
    public async Task<string?> ReadAsync(GitAccess access, string commit, string path, CancellationToken ct)
    {
        if (!IsSha(commit))
            return await ReadOnceAsync(access, commit, path, ct);
        if (_files.TryGetValue((access.Name, commit, path), out var known))
            return known;
        var text = await ReadOnceAsync(access, commit, path, ct);
        Remember(_files, (access.Name, commit, path), text);
        return text;
    }

    private static void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> memory, TKey key, TValue value)
        where TKey : notnull
    {
        if (memory.Count >= MemoryEntries)
            memory.Clear();
        memory[key] = value;
    }

    private async Task<string?> ReadOnceAsync(GitAccess access, string commit, string path, CancellationToken ct)
    {
        var dir = Path.Combine(_root, access.Name);
        var spec = $"{commit}:{path.TrimStart('/')}";
        var size = await RunAsync(access, dir, ct, "cat-file", "-s", spec);
        if (size.Code != 0)
            return null;
        if (long.TryParse(size.Out.Trim(), out var bytes) && bytes > MaxFileBytes)
            throw new GitException(
                $"{path} at {commit[..Math.Min(12, commit.Length)]} is {bytes} bytes; the limit is {MaxFileBytes}"
            );
        var shown = await RunAsync(access, dir, ct, "cat-file", "blob", spec);
        if (shown.Code != 0)
            throw new GitException($"cannot read {path} at {commit}: {shown.Said}");
        return shown.Out;
    }

    /// <summary>Forgets a repository's clone (the repository was removed).</summary>
    public void Drop(string name)
    {
        foreach (var key in _commits.Keys.Where(k => k.Name == name))
            _commits.TryRemove(key, out _);
        foreach (var key in _files.Keys.Where(k => k.Name == name))
            _files.TryRemove(key, out _);
        var dir = Path.Combine(_root, name);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    private async Task<string> EnsureAsync(GitAccess access, CancellationToken ct)
    {
        var dir = Path.Combine(_root, access.Name);
        if (Directory.Exists(Path.Combine(dir, "objects")))
            return dir;
        Directory.CreateDirectory(dir);
        var init = await RunAsync(access, dir, ct, "init", "-q", "--bare");
        if (init.Code != 0)
            throw new GitException($"cannot create the clone cache of {access.Name}: {init.Said}");
        return dir;
    }

    private string AskPass()
    {
        var path = Path.Combine(_root, "askpass.sh");
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(_root);
        var temp = path + "." + Environment.ProcessId;
        File.WriteAllText(
            temp,
            "#!/bin/sh\ncase \"$1\" in\n  Username*) printf '%s\\n' \"$HEARTH_GIT_USERNAME\";;\n  *) printf '%s\\n' \"$HEARTH_GIT_PASSWORD\";;\nesac\n"
        );
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private async Task<(int Code, string Out, string Said)> RunAsync(
        GitAccess access,
        string dir,
        CancellationToken ct,
        params string[] args
    )
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(dir);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_ASKPASS"] = AskPass();
        start.Environment["HEARTH_GIT_USERNAME"] = access.Username ?? "hearth";
        start.Environment["HEARTH_GIT_PASSWORD"] = access.Token ?? "";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        using var process = Process.Start(start) ?? throw new GitException("cannot start git");
        var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
        var stderr = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
            var said = (await stderr).Trim().Split('\n').LastOrDefault(l => l.Length > 0)?.Trim()
                ?? $"exit code {process.ExitCode}";
            if (access.Token is { Length: > 0 } token)
                said = said.Replace(token, "***", StringComparison.Ordinal);
            return (process.ExitCode, await stdout, said);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            logger.LogWarning("git {Command} for {Repository} took longer than {Limit}", args[0], access.Name, Limit);
            throw new GitException($"git {args[0]} of {access.Url} took longer than {Limit.TotalSeconds:0} s");
        }
    }

    private static bool IsSha(string value) => value.Length is 40 or 64 && value.All(char.IsAsciiHexDigitLower);
}
