using Hearth.Sandbox.MicroVm.Vsock;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>
/// A Firecracker process under its monitor shell (<see cref="VmMonitor"/>, in a session of its own, so it outlives the
/// agent and its end is recorded): gone when the monitor is; Ctrl+Alt+Del through the API; the power is the session.
/// </summary>
internal sealed class FirecrackerVm(ISandboxProcess monitor, FirecrackerLayout layout, TimeSpan shutdownGrace)
    : IVmInstance
{
    public int Pid => monitor.Pid;

    public TimeSpan PollInterval => TimeSpan.FromMilliseconds(100);

    public ProcessIdentity? Identity { get; } = ProcessIdentity.Of(monitor.Pid);

    public Task<bool> GoneAsync(CancellationToken cancellationToken) => Task.FromResult(monitor.HasExited);

    public async Task<TimeSpan> RequestShutdownAsync(CancellationToken cancellationToken)
    {
        if (monitor.HasExited)
            return TimeSpan.Zero;
        using var api = new FirecrackerApiClient(layout.ApiSocket);
        try
        {
            await api.PutActionAsync(InstanceActionInfo.SendCtrlAltDel, cancellationToken);
            return shutdownGrace;
        }
        catch (Exception e)
            when (e is HttpRequestException or FirecrackerApiException or System.Net.Sockets.SocketException)
        {
            // Firecracker is going or gone: the power is cut next anyway.
            return TimeSpan.Zero;
        }
    }

    public Task PowerOffAsync(CancellationToken cancellationToken)
    {
        if (!monitor.HasExited)
            Native.Kill(-monitor.Pid, Native.SigKill);
        return Task.CompletedTask;
    }

    public async Task RemoveAsync(CancellationToken cancellationToken)
    {
        if (!monitor.HasExited)
        {
            Native.Kill(-monitor.Pid, Native.SigKill);
            await Task.WhenAny(monitor.Exited, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
        }
        monitor.Dispose();
    }

    public string FailureTail()
    {
        try
        {
            var lines = File.ReadAllLines(layout.Log).Where(l => l.Trim().Length > 0).TakeLast(4);
            return string.Join(" / ", lines).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
