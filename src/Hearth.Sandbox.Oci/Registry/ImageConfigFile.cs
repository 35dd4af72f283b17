using System.Text.Json.Serialization;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>The image configuration blob (OCI image config / Docker container image v1). Untrusted input.</summary>
public sealed record ImageConfigFile
{
    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    [JsonPropertyName("os")]
    public string? Os { get; init; }

    [JsonPropertyName("config")]
    public ContainerConfig? Config { get; init; }

    [JsonPropertyName("rootfs")]
    public RootFs? RootFs { get; init; }
}

/// <summary>The execution parameters an image suggests.</summary>
public sealed record ContainerConfig
{
    [JsonPropertyName("User")]
    public string? User { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Entrypoint")]
    public IReadOnlyList<string>? Entrypoint { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; init; }

    [JsonPropertyName("StopSignal")]
    public string? StopSignal { get; init; }
}

public sealed record RootFs
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    /// <summary>sha256 of each layer's uncompressed tar, in order.</summary>
    [JsonPropertyName("diff_ids")]
    public IReadOnlyList<string> DiffIds { get; init; } = [];
}
