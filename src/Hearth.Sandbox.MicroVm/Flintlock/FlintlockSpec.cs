using System.Text;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Flintlock;

/// <summary>
/// A task's <c>MicroVMSpec</c>: its id and namespace, Hearth's labels, vCPUs and memory, the kernel and Hearth's
/// initramfs (as images), the task's image as the root volume, and metadata (cloud-init's <c>meta-data</c> and
/// <c>user-data</c>, base64 as flintlockd wants them) that give the VM its name. The command, its environment and
/// its secrets are not in the spec: flintlockd keeps specs in its store and serves metadata to every process in the
/// guest, so the task travels over the guest channel like on the other backends. The guest-agent vsock device is asked
/// for: it carries that channel.
/// </summary>
internal static class FlintlockSpec
{
    public const string SandboxLabel = "hearth.sandbox";

    public static FlintlockTypes.MicroVMSpec Build(
        SandboxSpec spec,
        FlintlockOptions options,
        int vcpus,
        long memoryBytes
    )
    {
        var kernel = new FlintlockTypes.Kernel
        {
            Image = options.KernelImage
                ?? throw new SandboxStartException(
                    "the microvm driver's flintlock backend has no kernel image configured"
                ),
            AddNetworkConfig = false,
        };
        if (options.KernelFilename is { } kernelFile)
            kernel.Filename = kernelFile;
        kernel.Cmdline.Add("hearth.channel", "vsock");
        var vm = new FlintlockTypes.MicroVMSpec
        {
            Id = spec.SandboxId,
            Namespace = options.Namespace,
            Vcpu = vcpus,
            MemoryInMb = checked((int)(memoryBytes >> 20)),
            Kernel = kernel,
            RootVolume = new FlintlockTypes.Volume
            {
                Id = "root",
                IsReadOnly = false,
                Source = new FlintlockTypes.VolumeSource { ContainerSource = spec.Image },
            },
            AllowGuestAgent = true,
        };
        if (options.InitrdImage is { } initrdImage)
        {
            vm.Initrd = new FlintlockTypes.Initrd { Image = initrdImage };
            if (options.InitrdFilename is { } initrdFile)
                vm.Initrd.Filename = initrdFile;
        }
        vm.Labels.Add(SandboxLabel, spec.SandboxId);
        var hostname = spec.SandboxId.Length <= 63 ? spec.SandboxId : spec.SandboxId[..63];
        vm.Metadata.Add("meta-data", Base64($"instance-id: {spec.SandboxId}\nlocal-hostname: {hostname}\n"));
        vm.Metadata.Add("user-data", Base64($"#cloud-config\nhostname: {hostname}\n"));
        return vm;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
