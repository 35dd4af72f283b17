namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// A VM's files in its scratch directory (<c>SCRATCH_ROOT/SANDBOX_ID</c>), all removed with the sandbox.
/// </summary>
internal sealed record VmLayout(string Scratch)
{
    /// <summary>A Unix socket's path must fit in sockaddr_un's 108 bytes, terminator included.</summary>
    public const int MaxSocketPath = 107;

    public string Overlay => Path.Combine(Scratch, "root.qcow2");

    /// <summary>The workspace disk (raw ext4, sparse): the task's workspace in and out of the VM.</summary>
    public string WorkspaceDisk => Path.Combine(Scratch, "workspace.ext4");

    public string ControlSocket => Path.Combine(Scratch, "control.sock");

    public string QemuPidFile => Path.Combine(Scratch, "qemu.pid");

    public string QemuLog => Path.Combine(Scratch, "qemu.log");

    public string Console => Path.Combine(Scratch, "console.log");

    /// <summary>What execs write (appended, one exec at a time) and their exit codes, from the exec ports.</summary>
    public string ExecStdout => Path.Combine(Scratch, "exec.stdout");

    public string ExecStderr => Path.Combine(Scratch, "exec.stderr");

    public string ExecStatus => Path.Combine(Scratch, "exec.status");

    /// <summary>
    /// A warm pool's VM keeps its records (stdout, stderr, status) here: it boots before its task is known.
    /// </summary>
    public string PooledRecords => Path.Combine(Scratch, "records");
}
