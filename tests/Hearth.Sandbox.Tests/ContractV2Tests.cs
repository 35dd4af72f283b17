using System.Diagnostics;
using System.Text;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>The second contract: handles, recovery, byte output, partial lines, signals, inspect and exec.</summary>
public sealed class ContractV2Tests : SandboxTestBase
{
    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Output_is_kept_as_exact_bytes_while_lines_are_cut_for_display(string name)
    {
        var output = new PieceLog();
        // Bytes that are not UTF-8, a CR LF, and a last line without a newline.
        await using var sandbox = await Driver(name)
            .StartAsync(Sh("printf 'a\\377b\\r\\nsecond\\nlast'; printf 'err\\n' >&2"), output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(
            [(byte)'a', 0xff, (byte)'b', .. "\r\nsecond\nlast"u8.ToArray()],
            await ReadAllAsync(sandbox, OutputStream.Stdout)
        );
        Assert.Equal("err\n"u8.ToArray(), await ReadAllAsync(sandbox, OutputStream.Stderr));
        var stdout = output.Pieces.Where(p => p.Stream == OutputStream.Stdout).ToList();
        Assert.Equal(["a\uFFFDb", "second", "last"], stdout.Select(p => p.Text));
        Assert.Equal([PieceEnd.Newline, PieceEnd.Newline, PieceEnd.End], stdout.Select(p => p.End));
        Assert.Equal([5L, 12L, 16L], stdout.Select(p => p.EndOffset));
        var status = await sandbox.InspectAsync(CancellationToken.None);
        Assert.Equal(SandboxPhase.Exited, status.Phase);
        Assert.Equal(16, status.StdoutBytes);
        Assert.Equal(exit, status.Exit);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task A_partial_line_is_delivered_while_the_process_holds_back_its_newline(string name)
    {
        var output = new PieceLog();
        await using var sandbox = await Driver(name)
            .StartAsync(Sh("printf 'ready\\n'; sleep 1; printf '\\r42%%'; sleep 30"), output, CancellationToken.None);
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "ready"), Timeout, "the first line");

        // The process writes nothing more for 30 s, so the piece can only come from the idle flush.
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "\r42%"), Timeout, "the partial line delivered");

        Assert.Equal(PieceEnd.Idle, output.Pieces.Single(p => p.Text == "\r42%").End);
        Assert.Equal(SandboxPhase.Running, (await sandbox.InspectAsync(CancellationToken.None)).Phase);
    }

    [Fact]
    public async Task A_bubblewrap_sandbox_is_recovered_from_its_handle_with_its_output_from_the_cursor_and_its_exit_code()
    {
        var first = new PieceLog();
        var original = await Driver("bubblewrap")
            .StartAsync(
                Sh("echo one; while [ ! -e go ]; do sleep 0.02; done; echo two; echo three >&2; exit 7"),
                first,
                CancellationToken.None
            );
        await Poll.UntilAsync(() => first.Pieces.Any(p => p.Text == "one"), Timeout, "the first line");
        var handle = original.Handle;
        Assert.Equal("bubblewrap", handle.Driver);
        var cursor = new OutputCursor(first.Pieces.Single(p => p.Text == "one").EndOffset, 0);

        var second = new PieceLog();
        await using var recovered = await Driver("bubblewrap")
            .RecoverAsync(handle, second, cursor, CancellationToken.None);
        Assert.Equal(original.Pid, recovered.Pid);
        Assert.Equal(SandboxPhase.Running, (await recovered.InspectAsync(CancellationToken.None)).Phase);
        await File.WriteAllTextAsync(Path.Combine(Running(original).ScratchDirectory, "work", "go"), "");
        var exit = await recovered.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(new SandboxExit(7), exit);
        Assert.Equal(["two"], second.Pieces.Where(p => p.Stream == OutputStream.Stdout).Select(p => p.Text));
        Assert.Equal(["three"], second.Pieces.Where(p => p.Stream == OutputStream.Stderr).Select(p => p.Text));
        await original.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        await recovered.DisposeAsync();
        Assert.False(Directory.Exists(Running(original).Files.Directory));
        Assert.False(Directory.Exists(Running(original).ScratchDirectory));
        await original.DisposeAsync();
    }

    [Fact]
    public async Task The_process_driver_says_it_cannot_recover_and_destroying_its_handle_kills_the_tree()
    {
        var output = new PieceLog();
        var marker = Random.Shared.Next(100_000, 999_999);
        var sandbox = await Driver("process")
            .StartAsync(Sh($"sleep {marker} & echo started; wait"), output, CancellationToken.None);
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "started"), Timeout, "started");
        Assert.False(Driver("process").Capabilities.Recover);

        var refused = await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
            Driver("process").RecoverAsync(sandbox.Handle, new PieceLog(), OutputCursor.Start, CancellationToken.None)
        );
        Assert.Contains("cannot recover", refused.Message);

        await Driver("process").DestroyAsync(sandbox.Handle, CancellationToken.None).WaitAsync(Timeout);
        await Driver("process").DestroyAsync(sandbox.Handle, CancellationToken.None).WaitAsync(Timeout);
        Assert.Empty(
            Alive(ProcTable.Snapshot().Select(e => e.Pid).Where(pid => CommandLine(pid) == $"sleep {marker}"))
        );
        Assert.False(Directory.Exists(Running(sandbox).ScratchDirectory));
        await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Recovering_a_sandbox_that_is_gone_without_a_recorded_exit_is_refused()
    {
        var sandbox = await Driver("bubblewrap").StartAsync(Sh("exit 3"), new PieceLog(), CancellationToken.None);
        await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        var handle = sandbox.Handle;
        await sandbox.DisposeAsync();

        await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
            Driver("bubblewrap").RecoverAsync(handle, new PieceLog(), OutputCursor.Start, CancellationToken.None)
        );
        // Destroying what is already gone is fine.
        await Driver("bubblewrap").DestroyAsync(handle, CancellationToken.None);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task A_signal_reaches_the_command(string name)
    {
        var output = new PieceLog();
        await using var sandbox = await Driver(name)
            .StartAsync(
                Sh("trap 'echo got USR1; exit 5' USR1; echo ready; while :; do sleep 0.05; done"),
                output,
                CancellationToken.None
            );
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "ready"), Timeout, "ready");

        await sandbox.SignalAsync(10, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(5, exit.ExitCode);
        Assert.Contains(output.Pieces, p => p.Text == "got USR1");
    }

    [Fact]
    public async Task Exec_runs_a_command_inside_a_running_bubblewrap_sandbox()
    {
        var output = new PieceLog();
        await using var sandbox = await Driver("bubblewrap")
            .StartAsync(Sh("echo inside > marker; echo ready; sleep 30"), output, CancellationToken.None);
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "ready"), Timeout, "ready");

        var exec = new PieceLog();
        var exit = await sandbox
            .ExecAsync(["sh", "-c", "cat marker; hostname; exit 4"], exec, CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal(4, exit.ExitCode);
        Assert.Equal(
            ["inside", "sandbox"],
            exec.Pieces.Where(p => p.Stream == OutputStream.Stdout).Select(p => p.Text)
        );
        await Assert.ThrowsAsync<SandboxCapabilityException>(() =>
            Driver("process")
                .StartAsync(Spec("true"), new PieceLog(), CancellationToken.None)
                .ContinueWith(t => t.Result.ExecAsync(["true"], exec, CancellationToken.None))
                .Unwrap()
        );
    }

    [Fact]
    public async Task A_cancelled_start_leaves_nothing_behind()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var spec = Spec("true");

        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            Driver("bubblewrap").StartAsync(spec, new PieceLog(), cancelled.Token)
        );

        Assert.Empty(Directory.EnumerateFileSystemEntries(ScratchRoot));
        Assert.False(Directory.Exists(spec.StateDirectoryOrDefault));
    }

    private static async Task<byte[]> ReadAllAsync(ISandbox sandbox, OutputStream stream)
    {
        var all = new List<byte>();
        var buffer = new byte[5];
        int read;
        while ((read = await sandbox.ReadOutputAsync(stream, all.Count, buffer, CancellationToken.None)) > 0)
            all.AddRange(buffer[..read]);
        return [.. all];
    }
}
