using System.Globalization;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// QEMU's command line for one task: the <c>microvm</c> machine (no PCI, no firmware beyond qboot, virtio over MMIO),
/// the kernel and Hearth's initramfs, the overlay disk (and a workspace disk when the task has a workspace), and four
/// virtio-serial ports: <c>hearth.control</c> (a Unix socket QEMU listens on: the task, then signals),
/// <c>hearth.stdout</c>, <c>hearth.stderr</c> and <c>hearth.status</c> (files QEMU appends to: the sandbox's records).
/// The serial console goes to a log.
/// </summary>
internal static class QemuArguments
{
    /// <summary>The workspace disk's serial (the guest finds its device by it: /sys/block/vdX/serial).</summary>
    public const string WorkspaceSerial = "hearth-workspace";

    public static IReadOnlyList<string> Build(
        string qemu,
        string accelerator,
        GuestKernel kernel,
        string initramfs,
        VmLayout layout,
        string stdout,
        string stderr,
        string status,
        int cpus,
        long memoryBytes,
        string? tap = null,
        string? mac = null,
        string? workspaceDisk = null
    )
    {
        var append = "console=ttyS0 quiet reboot=t panic=-1";
        // Under software emulation on a busy host the kernel's TSC calibration against the PIT fails, and with it the
        // local APIC timer's (microvm's ACPI is hardware-reduced: no PIT clock events): time never starts. Telling it
        // the TSC's rate (TCG's TSC is the host's) skips the calibration.
        if (accelerator == "tcg" && HostTscKhz() is { } khz)
            append += " tsc_early_khz=" + khz.ToString(CultureInfo.InvariantCulture);
        return
        [
            qemu,
            "-M",
            "microvm",
            "-accel",
            accelerator,
            "-cpu",
            accelerator == "kvm" ? "host" : "max",
            "-smp",
            cpus.ToString(CultureInfo.InvariantCulture),
            "-m",
            (memoryBytes >> 20).ToString(CultureInfo.InvariantCulture) + "M",
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
            "-pidfile",
            layout.QemuPidFile,
            "-kernel",
            kernel.ImagePath,
            "-initrd",
            initramfs,
            "-append",
            append,
            "-serial",
            "file:" + layout.Console,
            "-drive",
            $"id=root,file={Escape(layout.Overlay)},format=qcow2,if=none,discard=unmap",
            "-device",
            "virtio-blk-device,drive=root",
            // The workspace disk after the root disk (the root stays /dev/vda); the guest finds it by its serial.
            .. (
                workspaceDisk is null
                    ? Array.Empty<string>()
                    :
                    [
                        "-drive",
                        $"id=workspace,file={Escape(workspaceDisk)},format=raw,if=none,discard=unmap",
                        "-device",
                        $"virtio-blk-device,drive=workspace,serial={WorkspaceSerial}",
                    ]
            ),
            "-device",
            "virtio-serial-device",
            "-chardev",
            $"socket,id=control,path={Escape(layout.ControlSocket)},server=on,wait=off",
            "-device",
            "virtserialport,chardev=control,name=hearth.control",
            "-chardev",
            $"file,id=stdout,path={Escape(stdout)},append=on",
            "-device",
            "virtserialport,chardev=stdout,name=hearth.stdout",
            "-chardev",
            $"file,id=stderr,path={Escape(stderr)},append=on",
            "-device",
            "virtserialport,chardev=stderr,name=hearth.stderr",
            "-chardev",
            $"file,id=status,path={Escape(status)},append=on",
            "-device",
            "virtserialport,chardev=status,name=hearth.status",
            "-chardev",
            $"file,id=xout,path={Escape(layout.ExecStdout)},append=on",
            "-device",
            "virtserialport,chardev=xout,name=hearth.exec-stdout",
            "-chardev",
            $"file,id=xerr,path={Escape(layout.ExecStderr)},append=on",
            "-device",
            "virtserialport,chardev=xerr,name=hearth.exec-stderr",
            "-chardev",
            $"file,id=xst,path={Escape(layout.ExecStatus)},append=on",
            "-device",
            "virtserialport,chardev=xst,name=hearth.exec-status",
            .. (
                tap is null
                    ? Array.Empty<string>()
                    :
                    [
                        "-netdev",
                        $"tap,id=net0,ifname={tap},script=no,downscript=no",
                        "-device",
                        $"virtio-net-device,netdev=net0,mac={mac}",
                    ]
            ),
        ];
    }

    /// <summary>QEMU's option syntax doubles a comma inside a value.</summary>
    private static string Escape(string path) => path.Replace(",", ",,");

    private static long? HostTscKhz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("cpu MHz", StringComparison.Ordinal))
                    continue;
                var value = line[(line.IndexOf(':') + 1)..].Trim();
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz)
                    ? (long)(mhz * 1000)
                    : null;
            }
        }
        catch (IOException) { }
        return null;
    }
}
