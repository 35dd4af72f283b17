namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>What one task's Firecracker VM is made of: every path is on the host.</summary>
internal sealed record FirecrackerMachine(
    int Vcpus,
    long MemoryMib,
    string KernelPath,
    string? InitrdPath,
    string BootArgs,
    string RootDiskPath,
    string VsockPath,
    string? TapDevice = null
)
{
    /// <summary>The guest's vsock address; any CID from 3 up is the guest's own (each VM has its own device).</summary>
    public const uint GuestCid = 3;

    /// <summary>
    /// Configures a Firecracker that is waiting on its API socket, in the documented pre-boot order, then starts the
    /// guest: machine, boot source, the root drive (a per-task copy, read-write), the vsock device (the guest channel),
    /// a network interface when a tap is given, then <c>InstanceStart</c>.
    /// </summary>
    public async Task BootAsync(FirecrackerApiClient api, CancellationToken cancellationToken)
    {
        await api.PutMachineConfigAsync(new MachineConfiguration(Vcpus, MemoryMib), cancellationToken);
        await api.PutBootSourceAsync(new BootSource(KernelPath, BootArgs, InitrdPath), cancellationToken);
        await api.PutDriveAsync(
            new Drive("rootfs", IsRootDevice: true, IsReadOnly: false, RootDiskPath),
            cancellationToken
        );
        await api.PutVsockAsync(new Vsock(GuestCid, VsockPath), cancellationToken);
        if (TapDevice is { } tap)
            await api.PutNetworkInterfaceAsync(new NetworkInterface("eth0", tap), cancellationToken);
        await api.PutActionAsync(InstanceActionInfo.InstanceStart, cancellationToken);
    }

    /// <summary>
    /// The kernel command line: Firecracker's recommended serial console and reboot behaviour (the VMM exits on the
    /// guest's reboot), the initramfs hands over to Hearth's guest init, which takes the vsock channel.
    /// </summary>
    public static string DefaultBootArgs(string? extra) =>
        "console=ttyS0 reboot=k panic=1 pci=off quiet hearth.channel=vsock"
        + (string.IsNullOrWhiteSpace(extra) ? "" : " " + extra.Trim());
}
