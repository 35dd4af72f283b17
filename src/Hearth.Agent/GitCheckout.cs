using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// The checkout phase of a task with a git workspace: a shallow fetch of exactly the ref asked for (branch, tag or
/// commit SHA) into the workspace, run through the task's own driver with a network, before the command phase.
/// Credentials reach git through GIT_ASKPASS reading the environment: never a command line, never a log line.
/// </summary>
public sealed class GitCheckout(ISandboxDriver driver, TimeSpan killGrace)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(15);

    // $1: repository, $2: ref ("" for the remote's HEAD). The askpass helper lives in .git, outside the checkout's
    // files.
    private const string Script = """
        set -e
        git init -q .
        if [ -n "$HEARTH_GIT_CREDENTIALS" ]; then
          printf '%s\n' '#!/bin/sh' 'case "$1" in' \
            '  Username*) case "$HEARTH_GIT_CREDENTIALS" in *:*) printf "%s\n" "${HEARTH_GIT_CREDENTIALS%%:*}";; *) echo hearth;; esac;;' \
            '  *) printf "%s\n" "${HEARTH_GIT_CREDENTIALS#*:}";;' 'esac' > .git/hearth-askpass
          chmod 700 .git/hearth-askpass
          export GIT_ASKPASS="$PWD/.git/hearth-askpass"
        fi
        export GIT_TERMINAL_PROMPT=0
        git remote add origin "$1"
        git fetch -q --depth 1 origin "${2:-HEAD}"
        git -c advice.detachedHead=false checkout -q FETCH_HEAD
        rm -f .git/hearth-askpass
        echo "hearth: checked out ${2:-HEAD} of $1 at $(git rev-parse HEAD)" >&2
        """;

    /// <summary>Runs the checkout; returns null when it worked, else why it failed (git's own last words).</summary>
    public async Task<string?> RunAsync(
        GitAssignment git,
        SandboxSpec commandSpec,
        LogShipper shipper,
        TaskControl control
    )
    {
        var env = new Dictionary<string, string>(commandSpec.Environment, StringComparer.Ordinal);
        if (git.Credentials is { } credentials)
            env[GitSource.CredentialsVariable] = credentials;
        var spec = commandSpec with
        {
            SandboxId = commandSpec.SandboxId + "-git",
            // Records of its own: the command's sandbox makes its state directory after this one is gone.
            StateDirectory = commandSpec.StateDirectory is { } state ? state + "-git" : null,
            Command = ["/bin/sh", "-c", Script, "hearth-checkout", git.Repository, git.Ref ?? ""],
            Environment = env,
            Network = true,
        };
        var output = new LastLines(shipper);
        await shipper.WriteAsync(
            LogStream.System,
            $"hearth: checkout of {git.Repository} {git.Ref ?? "(default branch)"}",
            CancellationToken.None
        );
        ISandbox sandbox;
        try
        {
            sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        }
        catch (SandboxStartException e)
        {
            return $"git checkout failed to start: {e.Message}";
        }
        await using (sandbox)
        {
            control.Attach(sandbox, killGrace);
            using var limit = new CancellationTokenSource(Limit);
            SandboxExit exit;
            try
            {
                exit = await sandbox.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
                return $"git checkout of {git.Repository} took longer than {Limit.TotalMinutes:0} minutes";
            }
            if (exit.ExitCode == 0)
                return null;
            var said = output.Said ?? $"exit code {exit.ExitCode}";
            return $"git checkout of {git.Repository} {git.Ref ?? "(default branch)"} failed: {said}";
        }
    }

    /// <summary>
    /// Passes lines on to the log and remembers what git said for the run's reason: its first "fatal:" or "error:" line
    /// (a missing repository ends with "and the repository exists.", which alone says nothing), else its last line.
    /// </summary>
    private sealed class LastLines(ISandboxOutput inner) : ISandboxOutput
    {
        private string? _firstError;
        private string? _last;

        public string? Said => _firstError ?? _last;

        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
        {
            if (stream == OutputStream.Stderr && !string.IsNullOrWhiteSpace(line))
            {
                _last = line.Trim();
                if (
                    _firstError is null
                    && (
                        _last.StartsWith("fatal:", StringComparison.Ordinal)
                        || _last.StartsWith("error:", StringComparison.Ordinal)
                    )
                )
                    _firstError = _last;
            }
            return inner.WriteLineAsync(stream, line, cancellationToken);
        }
    }
}
