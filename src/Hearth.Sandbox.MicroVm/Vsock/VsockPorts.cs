namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// The guest protocol over vsock (Firecracker has no virtio-serial). The ports stand for the virtio-serial ports
/// of the QEMU backend: the guest listens on <see cref="Control"/> (the host connects with <c>CONNECT</c>); the guest
/// connects to the host (CID 2) on the other three, which Firecracker forwards to <c>uds_path_PORT</c>, where the
/// host listens (<see cref="VsockStreamRelay"/>).
/// </summary>
internal static class VsockPorts
{
    public const uint Control = 1000;
    public const uint Stdout = 1001;
    public const uint Stderr = 1002;
    public const uint Status = 1003;

    /// <summary>Where Firecracker connects for the guest's connections to <paramref name="port"/>.</summary>
    public static string HostListener(string udsPath, uint port) =>
        udsPath + "_" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
