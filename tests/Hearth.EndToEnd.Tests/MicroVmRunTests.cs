using System.Text.Json;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// `hearth run --driver microvm` end to end: a real server and agent, a busybox image from a loopback registry, each
/// run in a fresh QEMU microvm under software emulation (this machine's KVM boots no stock kernel). A VM boot takes
/// seconds here, so the class boots three: a run, a run that times out, a run that outlives a kill -9 of its agent.
/// </summary>
public sealed class MicroVmRunTests : IAsyncLifetime
{
    private static readonly TimeSpan VmDeadline = TimeSpan.FromMinutes(4);
    private LocalRegistry _registry = null!;
    private HearthCluster _cluster = null!;

    private string Image => $"{_registry.Host}/e2e/vm-busybox:1";

    public async Task InitializeAsync()
    {
        _registry = await LocalRegistry.StartAsync();
        using var pusher = new ImagePusher(_registry.BaseUri);
        var tar = TarBuilder.Busybox();
        foreach (var applet in new[] { "uname", "nproc" })
            tar.Symlink($"bin/{applet}", "busybox");
        await pusher.PushImageAsync("e2e/vm-busybox", "1", [tar.Build()]);
        _cluster = await HearthCluster.StartAsync(leaseTtl: "15s", heartbeat: "1s");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task Runs_in_a_vm_with_its_kernel_limits_secret_and_exit_code_times_out_and_survives_its_agent()
    {
        var agent = await _cluster.StartAgentAsync("vm", drivers: "microvm");
        var value = "vm-" + Guid.NewGuid().ToString("N");
        var create = await CliProcess.RunAsync(
            ["secrets", "create", "vm-token", "--from-env", "SOURCE_OF_SECRET", "--env-name", "VM_TOKEN"],
            new Dictionary<string, string>(_cluster.ClientEnv) { ["SOURCE_OF_SECRET"] = value }
        );
        Assert.True(create.ExitCode == 0, create.Stderr);

        var run = await _cluster.CliAsync(
            "run",
            "--driver",
            "microvm",
            "--image",
            Image,
            "--cpus",
            "2",
            "--memory",
            "160M",
            "--secret",
            "vm-token",
            "--",
            "sh",
            "-c",
            "uname -a; nproc; grep MemTotal /proc/meminfo; echo \"token:$VM_TOKEN\"; echo to-stderr >&2; exit 7"
        );
        Assert.True(run.ExitCode == 7, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 4, run.Stdout);
        Assert.Contains("-cloud-amd64", lines[0]);
        Assert.DoesNotContain((await Tools.RunAsync("uname", "-r")).Trim(), lines[0]);
        Assert.Equal("2", lines[1]);
        Assert.InRange(
            long.Parse(lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]),
            100 * 1024,
            160 * 1024
        );
        Assert.Equal("token:***", lines[3]);
        Assert.DoesNotContain(value, run.Stdout + run.Stderr);
        Assert.Contains("to-stderr", run.Stderr);

        // --timeout: the server stops the run; the agent signals into the guest, then cuts the VM's power.
        var timedOut = await _cluster.CliAsync(
            "run",
            "--driver",
            "microvm",
            "--image",
            Image,
            "--timeout",
            "20s",
            "--",
            "sh",
            "-c",
            "trap '' TERM; echo started; sleep 600"
        );
        Assert.True(timedOut.ExitCode == 124, $"exit {timedOut.ExitCode}: {timedOut.Stderr}");
        Assert.Contains("started", timedOut.Stdout);

        // kill -9 of the agent while a VM runs: the restarted agent recovers the VM (QEMU outlives it) and reports.
        var started = await _cluster.CliAsync(
            "run",
            "-d",
            "--driver",
            "microvm",
            "--image",
            Image,
            "--",
            "sh",
            "-c",
            "echo start; sleep 12; echo end; exit 4"
        );
        Assert.True(started.ExitCode == 0, started.Stderr);
        var id = started.Stdout.Trim();
        await WaitUntilAsync(
            async () => (await _cluster.CliAsync("logs", id)).Stdout.Contains("start\n"),
            $"run {id} to print start"
        );
        await _cluster.KillAgentAsync(agent);
        await _cluster.StartAgentAsync("vm", drivers: "microvm");
        JsonElement status = default;
        await WaitUntilAsync(
            async () =>
            {
                status = JsonDocument.Parse((await _cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
                return status.TryGetProperty("ended_at", out var ended) && ended.ValueKind != JsonValueKind.Null;
            },
            $"run {id} to end"
        );
        Assert.True(status.GetProperty("exit_code").GetInt32() == 4, status.ToString());
        Assert.Equal(1, status.GetProperty("attempt").GetInt32());
        Assert.Equal("start\nend\n", (await _cluster.CliAsync("logs", id)).Stdout);

        // Nothing of the VMs is left: no QEMU or monitor with the agent's mark, no overlay disk in its scratch root.
        var scratch = Path.Combine(_cluster.DataDir, "scratch-vm");
        await WaitUntilAsync(
            () =>
                Task.FromResult(
                    !Directory.EnumerateDirectories(scratch).Any(d => !Path.GetFileName(d).StartsWith('.'))
                        && !MarkedProcesses(scratch).Any()
                ),
            "the VMs' processes and scratch directories to be gone"
        );
    }

    private static IEnumerable<int> MarkedProcesses(string scratchRoot)
    {
        var mark = "HEARTH_SANDBOX_OWNER=" + scratchRoot;
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            string environ;
            try
            {
                environ = File.ReadAllText(Path.Combine(directory, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (environ.Split('\0').Contains(mark))
                yield return pid;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + VmDeadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
