using Hearth.Sandbox.Running;

namespace Hearth.Sandbox;

/// <summary>
/// Runs the command as a plain host process in its own session and process group, in a fresh scratch
/// directory, with a cleared environment and (where the host has them) cgroup limits.
/// No filesystem or network isolation: the command sees the host as the agent's user does.
/// </summary>
public sealed class ProcessDriver : ISandboxDriver
{
    private readonly HostRuntime _host;

    public ProcessDriver(ProcessDriverOptions? options = null, TimeProvider? time = null)
    {
        options ??= new ProcessDriverOptions();
        _host = new HostRuntime(options.Launcher, options.Cgroups, time ?? TimeProvider.System);
    }

    public string Name => "process";

    /// <summary>
    /// No recovery: nothing records how the command ends once the agent that started it is gone (its exit status goes
    /// to whoever inherits the process). An agent restarted after a crash destroys what its handle names instead.
    /// No exec: there is nothing to enter.
    /// </summary>
    public DriverCapabilities Capabilities =>
        new(
            FilesystemIsolation.None,
            NetworkModes: ["host"],
            Ports: false,
            Signals: true,
            Exec: false,
            Recover: false,
            Limits: _host.Cgroups.EnforcedLimits
        );

    public DriverFingerprint Fingerprint()
    {
        if (_host.MissingTool() is { } missing)
        {
            return DriverFingerprint.Unhealthy(missing);
        }
        var attributes = _host.BaseAttributes();
        attributes["driver.process"] = "1";
        return new DriverFingerprint(true, null, attributes);
    }

    public Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken) =>
        _host.StartAsync(
            Name,
            spec,
            output,
            (scratch, cgroup) =>
            {
                var environment = SandboxEnvironment.Build(spec, scratch.Root);
                // What a shell would export: programs such as make and git read PWD rather than call getcwd.
                environment.TryAdd("PWD", scratch.Root);
                var program = CommandResolver.Resolve(spec.Command[0], environment["PATH"], scratch.Root);
                return new SandboxLaunch(
                    [program, .. spec.Command.Skip(1)],
                    environment,
                    scratch.Root,
                    RootIsMonitor: false,
                    scratch,
                    cgroup
                );
            },
            cancellationToken
        );

    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    ) =>
        throw new SandboxRecoveryException(
            "the process driver cannot recover a sandbox: nothing records how its command ends once the agent "
                + "that started it is gone; it is destroyed instead"
        );

    public Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken) =>
        _host.DestroyAsync(Name, handle, cancellationToken);
}
