using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>The os/architecture/variant an image (or an index entry) is built for.</summary>
public sealed record Platform
{
    [JsonPropertyName("os")]
    public string Os { get; init; } = "linux";

    [JsonPropertyName("architecture")]
    public string Architecture { get; init; } = "";

    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    /// <summary>The platform of this host, in OCI names (amd64, arm64/v8, …).</summary>
    public static Platform Current =>
        RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => new Platform { Architecture = "amd64" },
            System.Runtime.InteropServices.Architecture.Arm64 => new Platform
            {
                Architecture = "arm64",
                Variant = "v8",
            },
            System.Runtime.InteropServices.Architecture.Arm => new Platform { Architecture = "arm", Variant = "v7" },
            System.Runtime.InteropServices.Architecture.X86 => new Platform { Architecture = "386" },
            System.Runtime.InteropServices.Architecture.RiscV64 => new Platform { Architecture = "riscv64" },
            System.Runtime.InteropServices.Architecture.S390x => new Platform { Architecture = "s390x" },
            System.Runtime.InteropServices.Architecture.Ppc64le => new Platform { Architecture = "ppc64le" },
            var other => new Platform { Architecture = other.ToString().ToLowerInvariant() },
        };

    /// <summary>Whether an index entry built for <paramref name="candidate"/> runs here.</summary>
    public bool Accepts(Platform? candidate)
    {
        if (candidate is null)
            return false;
        if (!string.Equals(candidate.Os, Os, StringComparison.Ordinal))
            return false;
        if (!string.Equals(candidate.Architecture, Architecture, StringComparison.Ordinal))
            return false;
        if (Variant is null || candidate.Variant is null)
            return true;
        return string.Equals(candidate.Variant, Variant, StringComparison.Ordinal);
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
