namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The agent's <c>--microvm KEY=VALUE</c> settings: the backend and where its pieces are. Keys: <c>backend</c>
/// (qemu, firecracker or flintlock), <c>firecracker.binary</c>, <c>firecracker.kernel</c>, <c>firecracker.initrd</c>,
/// <c>firecracker.boot-args</c>, <c>flintlock.endpoint</c>, <c>flintlock.namespace</c>, <c>flintlock.kernel-image</c>,
/// <c>flintlock.kernel-file</c>, <c>flintlock.initrd-image</c>, <c>flintlock.initrd-file</c>.
/// </summary>
public static class MicroVmSettings
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "backend",
        "firecracker.binary",
        "firecracker.kernel",
        "firecracker.initrd",
        "firecracker.boot-args",
        "flintlock.endpoint",
        "flintlock.namespace",
        "flintlock.kernel-image",
        "flintlock.kernel-file",
        "flintlock.initrd-image",
        "flintlock.initrd-file",
        "max-prewarmed",
        "workspace-disk",
    ];

    /// <summary>
    /// The options with the settings applied; a bad one is an <see cref="ArgumentException"/> naming it and what was
    /// expected.
    /// </summary>
    public static MicroVmDriverOptions Apply(MicroVmDriverOptions options, IEnumerable<string> settings)
    {
        foreach (var setting in settings)
        {
            var equals = setting.IndexOf('=');
            if (equals <= 0 || equals == setting.Length - 1)
                throw new ArgumentException($"--microvm '{setting}': expected KEY=VALUE, e.g. backend=firecracker");
            var (key, value) = (setting[..equals].Trim(), setting[(equals + 1)..].Trim());
            options = key switch
            {
                "backend" when value is "qemu" or "firecracker" or "flintlock" => options with { Backend = value },
                "backend" => throw new ArgumentException(
                    $"--microvm backend={value}: expected qemu, firecracker or flintlock"
                ),
                "firecracker.binary" => options with
                {
                    Firecracker = options.Firecracker with { FirecrackerPath = value },
                },
                "firecracker.kernel" => options with
                {
                    Firecracker = options.Firecracker with { KernelPath = Absolute(key, value) },
                },
                "firecracker.initrd" => options with
                {
                    Firecracker = options.Firecracker with { InitrdPath = Absolute(key, value) },
                },
                "firecracker.boot-args" => options with
                {
                    Firecracker = options.Firecracker with { ExtraBootArgs = value },
                },
                "flintlock.endpoint" => options with
                {
                    Flintlock = options.Flintlock with { Endpoint = Endpoint(value) },
                },
                "flintlock.namespace" => options with { Flintlock = options.Flintlock with { Namespace = value } },
                "flintlock.kernel-image" => options with { Flintlock = options.Flintlock with { KernelImage = value } },
                "flintlock.kernel-file" => options with
                {
                    Flintlock = options.Flintlock with { KernelFilename = value },
                },
                "flintlock.initrd-image" => options with { Flintlock = options.Flintlock with { InitrdImage = value } },
                "flintlock.initrd-file" => options with
                {
                    Flintlock = options.Flintlock with { InitrdFilename = value },
                },
                "max-prewarmed" => options with { MaxPrewarmed = Count(key, value) },
                "workspace-disk" => options with { WorkspaceDiskBytes = Size(key, value) },
                _ => throw new ArgumentException(
                    $"--microvm '{key}': unknown setting; expected one of {string.Join(", ", Keys)}"
                ),
            };
        }
        return options;
    }

    private static int Count(string key, string value) =>
        int.TryParse(
            value,
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out var count
        )
        && count <= 64
            ? count
            : throw new ArgumentException($"--microvm {key}={value}: expected a number from 0 to 64");

    /// <summary>A disk size in MiB or GiB (<c>512m</c>, <c>8g</c>), at least 64 MiB.</summary>
    private static long Size(string key, string value)
    {
        var unit = value.Length > 1 ? char.ToLowerInvariant(value[^1]) : ' ';
        if (
            unit is 'm' or 'g'
            && long.TryParse(
                value[..^1],
                System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture,
                out var amount
            )
            && amount > 0
            && amount < (1L << 20)
        )
        {
            var bytes = amount << (unit == 'g' ? 30 : 20);
            if (bytes >= 64L << 20)
                return bytes;
        }
        throw new ArgumentException($"--microvm {key}={value}: expected a size of at least 64m, e.g. 512m or 8g");
    }

    private static string Absolute(string key, string value) =>
        Path.IsPathFullyQualified(value)
            ? value
            : throw new ArgumentException($"--microvm {key}={value}: expected an absolute path");

    private static string Endpoint(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Port > 0
            ? value
            : throw new ArgumentException(
                $"--microvm flintlock.endpoint={value}: expected flintlockd's gRPC address, e.g. http://127.0.0.1:9090"
            );
}
