using System.Text.Json.Serialization;

namespace Hearth.Sandbox.MicroVm.Firecracker;

// The request and response bodies of Firecracker's API as its swagger definition names them
// (src/firecracker/swagger/firecracker.yaml in firecracker-microvm/firecracker). Optional fields are left out when
// null, so Firecracker applies its documented defaults.

/// <summary>PUT /machine-config (MachineConfiguration): vCPUs in [1, 32] and memory in MiB are required.</summary>
internal sealed record MachineConfiguration(
    [property: JsonPropertyName("vcpu_count")] int VcpuCount,
    [property: JsonPropertyName("mem_size_mib")] long MemSizeMib,
    [property: JsonPropertyName("smt")] bool? Smt = null
);

/// <summary>PUT /boot-source (BootSource): the kernel is required, the initrd and the command line optional.</summary>
internal sealed record BootSource(
    [property: JsonPropertyName("kernel_image_path")] string KernelImagePath,
    [property: JsonPropertyName("boot_args")] string? BootArgs = null,
    [property: JsonPropertyName("initrd_path")] string? InitrdPath = null
);

/// <summary>PUT /drives/{drive_id} (Drive, a virtio-block drive).</summary>
internal sealed record Drive(
    [property: JsonPropertyName("drive_id")] string DriveId,
    [property: JsonPropertyName("is_root_device")] bool IsRootDevice,
    [property: JsonPropertyName("is_read_only")] bool IsReadOnly,
    [property: JsonPropertyName("path_on_host")] string PathOnHost
);

/// <summary>PUT /network-interfaces/{iface_id} (NetworkInterface): a tap device of the host.</summary>
internal sealed record NetworkInterface(
    [property: JsonPropertyName("iface_id")] string IfaceId,
    [property: JsonPropertyName("host_dev_name")] string HostDevName,
    [property: JsonPropertyName("guest_mac")] string? GuestMac = null
);

/// <summary>
/// PUT /vsock (Vsock): Firecracker listens on <c>uds_path</c> for host-initiated connections (<c>CONNECT PORT\n</c>)
/// and connects to <c>uds_path_PORT</c> for the guest's connections to the host (CID 2) on PORT.
/// </summary>
internal sealed record Vsock(
    [property: JsonPropertyName("guest_cid")] uint GuestCid,
    [property: JsonPropertyName("uds_path")] string UdsPath
);

/// <summary>PUT /actions (InstanceActionInfo).</summary>
internal sealed record InstanceActionInfo([property: JsonPropertyName("action_type")] string ActionType)
{
    public static readonly InstanceActionInfo InstanceStart = new("InstanceStart");

    /// <summary>x86 only: the guest sees Ctrl+Alt+Del (a clean shutdown when its init handles it).</summary>
    public static readonly InstanceActionInfo SendCtrlAltDel = new("SendCtrlAltDel");
}

/// <summary>GET / (InstanceInfo): <c>state</c> is "Not started", "Running" or "Paused".</summary>
internal sealed record InstanceInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("vmm_version")] string VmmVersion,
    [property: JsonPropertyName("app_name")] string? AppName = null
);

/// <summary>Every error response (Error).</summary>
internal sealed record FirecrackerError([property: JsonPropertyName("fault_message")] string? FaultMessage);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MachineConfiguration))]
[JsonSerializable(typeof(BootSource))]
[JsonSerializable(typeof(Drive))]
[JsonSerializable(typeof(NetworkInterface))]
[JsonSerializable(typeof(Vsock))]
[JsonSerializable(typeof(InstanceActionInfo))]
[JsonSerializable(typeof(InstanceInfo))]
[JsonSerializable(typeof(FirecrackerError))]
internal sealed partial class FirecrackerJson : JsonSerializerContext;
