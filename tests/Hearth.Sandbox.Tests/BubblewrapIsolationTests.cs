using System.Net;
using System.Net.Sockets;
using Hearth.Sandbox;

namespace Hearth.Sandbox.Tests;

public sealed class BubblewrapIsolationTests : SandboxTestBase
{
    [Fact]
    public async Task Host_files_outside_the_binds_are_invisible()
    {
        var secret = $"/root/hearth-secret-{Guid.NewGuid():N}";
        var hostTemp = Path.Combine(ScratchRoot, "host-only");
        await File.WriteAllTextAsync(secret, "top secret");
        await File.WriteAllTextAsync(hostTemp, "HOST-TEMP-CONTENT");
        try
        {
            var (exit, output) = await RunAsync(
                Driver("bubblewrap"),
                Sh(
                    $"cat {secret} || echo 'no secret'; cat {hostTemp} || echo 'no host temp'; "
                        + "ls /work >/dev/null 2>&1 || echo 'no /work'; ls /root >/dev/null 2>&1 && ls -A /root | wc -l; "
                        + "cat /etc/shadow 2>/dev/null || echo 'no shadow'; cut -d: -f1 /etc/passwd | tr '\\n' ' '; echo; ls /etc | tr '\\n' ' '"
                )
            );

            Assert.Equal(0, exit.ExitCode);
            var lines = output.Of(OutputStream.Stdout);
            Assert.Contains("no secret", lines);
            Assert.Contains("no host temp", lines);
            Assert.Contains("no /work", lines);
            Assert.Contains("no shadow", lines);
            Assert.DoesNotContain(lines, l => l.Contains("top secret") || l.Contains("HOST-TEMP-CONTENT"));
            Assert.Contains("root sandbox nobody ", lines);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task The_command_runs_unprivileged_in_its_own_namespaces_with_a_read_only_usr()
    {
        var (exit, output) = await RunAsync(
            Driver("bubblewrap"),
            Sh(
                "id -u; id -g; hostname; grep CapEff /proc/self/status; "
                    + "touch /usr/hearth-x 2>/dev/null || echo 'usr read-only'; touch /tmp/x && echo 'tmp writable'; "
                    + "touch ./x && echo 'scratch writable'; ps -e -o pid= | wc -l; echo $$"
            )
        );

        Assert.Equal(0, exit.ExitCode);
        var lines = output.Of(OutputStream.Stdout).Select(l => l.Trim()).ToList();
        Assert.Equal("1000", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Equal("sandbox", lines[2]);
        Assert.Equal("CapEff:\t0000000000000000", output.Of(OutputStream.Stdout)[3]);
        Assert.Contains("usr read-only", lines);
        Assert.Contains("tmp writable", lines);
        Assert.Contains("scratch writable", lines);
        // bwrap's init, the shell, ps and wc: a fresh pid namespace where the shell is pid 2.
        Assert.Equal("4", lines[^2]);
        Assert.Equal("2", lines[^1]);
    }

    [Fact]
    public async Task There_is_no_network_unless_asked()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var connect =
            $"cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; "
            + $"(echo hello > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo connected || echo refused";

        var (isolatedExit, isolated) = await RunAsync(Driver("bubblewrap"), Spec("bash", "-c", connect));

        Assert.Equal(0, isolatedExit.ExitCode);
        Assert.Equal(["lo", "refused"], isolated.Of(OutputStream.Stdout));
        Assert.False(listener.Pending());

        var (sharedExit, shared) = await RunAsync(
            Driver("bubblewrap"),
            Spec("bash", "-c", connect) with
            {
                Network = true,
            }
        );

        Assert.Equal(0, sharedExit.ExitCode);
        Assert.Equal("connected", shared.Of(OutputStream.Stdout)[^1]);
        Assert.True(listener.Pending());
    }

    [Fact]
    public async Task The_sandbox_survives_the_exit_of_the_thread_that_started_it()
    {
        // --die-with-parent uses PR_SET_PDEATHSIG, which fires when the forking *thread* exits, not the process.
        ISandbox? sandbox = null;
        var output = new CollectingOutput();
        var thread = new Thread(() =>
        {
            sandbox = Driver("bubblewrap")
                .StartAsync(Sh("echo up; sleep 1000"), output, CancellationToken.None)
                .GetAwaiter()
                .GetResult();
            // Only exit once bwrap has surely set its parent-death signal.
            output.WaitForLineAsync("up", Timeout).GetAwaiter().GetResult();
        });
        thread.Start();
        thread.Join();
        await using var _ = sandbox!;
        await Task.Delay(300);

        Assert.False(sandbox!.WaitAsync(CancellationToken.None).IsCompleted);
        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(137, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
    }
}
