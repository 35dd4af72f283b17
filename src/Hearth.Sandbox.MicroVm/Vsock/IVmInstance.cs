namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>One running VM of a vsock backend, as its VMM or manager sees it (not the guest's view).</summary>
internal interface IVmInstance
{
    /// <summary>
    /// A local process standing for the VM (Firecracker's monitor), or 0 when the VM is remote (Flintlock).
    /// </summary>
    int Pid { get; }

    /// <summary>How often <see cref="GoneAsync"/> is asked while the VM runs.</summary>
    TimeSpan PollInterval { get; }

    /// <summary>Whether the VM has ended (its VMM exited, or its manager says it failed or no longer has it).</summary>
    Task<bool> GoneAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Asks the guest to power off (Firecracker's Ctrl+Alt+Del) and says how long to wait for it; zero where the
    /// backend has no such thing.
    /// </summary>
    Task<TimeSpan> RequestShutdownAsync(CancellationToken cancellationToken);

    /// <summary>Cuts the power at once.</summary>
    Task PowerOffAsync(CancellationToken cancellationToken);

    /// <summary>
    /// After the end: removes what the backend keeps of the VM (Flintlock's record); the VMM is gone.
    /// </summary>
    Task RemoveAsync(CancellationToken cancellationToken);

    /// <summary>Why the VM ended before its command ran, from its logs (may be empty).</summary>
    string FailureTail();
}
