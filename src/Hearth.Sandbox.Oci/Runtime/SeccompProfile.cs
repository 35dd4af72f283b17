using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Hearth's default seccomp filter: everything is allowed except the syscalls that administer the kernel or
/// escape a container (module loading, mounts, namespaces, keyrings, bpf, ptrace, clocks, reboot, …), which
/// fail with EPERM. Complements the dropped capabilities rather than replacing them.
/// </summary>
internal static class SeccompProfile
{
    private static readonly string[] Denied =
    [
        "acct",
        "add_key",
        "bpf",
        "clock_adjtime",
        "clock_settime",
        "create_module",
        "delete_module",
        "finit_module",
        "fsconfig",
        "fsmount",
        "fsopen",
        "fspick",
        "get_kernel_syms",
        "init_module",
        "ioperm",
        "iopl",
        "kcmp",
        "kexec_file_load",
        "kexec_load",
        "keyctl",
        "lookup_dcookie",
        "mount",
        "mount_setattr",
        "move_mount",
        "name_to_handle_at",
        "nfsservctl",
        "open_by_handle_at",
        "open_tree",
        "perf_event_open",
        "pivot_root",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",
        "query_module",
        "quotactl",
        "reboot",
        "request_key",
        "setns",
        "settimeofday",
        "swapoff",
        "swapon",
        "syslog",
        "umount2",
        "unshare",
        "uselib",
        "userfaultfd",
        "ustat",
        "_sysctl",
    ];

    public static JsonObject Build()
    {
        var architectures = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => new JsonArray("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
            Architecture.Arm64 => new JsonArray("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"),
            _ => new JsonArray(),
        };
        return new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["architectures"] = architectures,
            ["syscalls"] = new JsonArray(
                new JsonObject
                {
                    ["names"] = new JsonArray(Denied.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                    ["action"] = "SCMP_ACT_ERRNO",
                    ["errnoRet"] = 1,
                }
            ),
        };
    }
}
