namespace Hearth.Sandbox.MicroVm;

/// <summary>How QEMU runs the guest: "kvm" (hardware virtualisation) or "tcg" (software emulation).</summary>
internal static class Accelerator
{
    /// <summary>
    /// The accelerator for <paramref name="setting"/>: "auto" takes KVM when /dev/kvm opens read-write and is not PVM
    /// (kvm_pvm, "pagetable-based VM", runs only PVM-enlightened guest kernels: no stock kernel boots on it), else TCG.
    /// </summary>
    public static string Resolve(string setting) =>
        setting switch
        {
            "kvm" or "tcg" => setting,
            "auto" => KvmUsable() ? "kvm" : "tcg",
            _ => throw new ArgumentException($"microvm accelerator '{setting}': expected auto, kvm or tcg"),
        };

    private static bool KvmUsable()
    {
        if (Directory.Exists("/sys/module/kvm_pvm"))
            return false;
        try
        {
            using var _ = File.Open("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
