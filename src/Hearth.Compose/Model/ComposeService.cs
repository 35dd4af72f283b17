using System.Collections.Immutable;

namespace Hearth.Compose.Model;

/// <summary>
/// One service, in long syntax with defaults filled. <see cref="Other"/> holds the keys Hearth accepts and prints
/// but does not act on (dns, devices, sysctls…); <see cref="Extensions"/> holds the <c>x-</c> keys.
/// </summary>
public sealed record ComposeService
{
    public required string Name { get; init; }
    public string? Image { get; init; }
    public BuildSpec? Build { get; init; }
    public ImmutableArray<string>? Command { get; init; }
    public ImmutableArray<string>? Entrypoint { get; init; }
    public ImmutableSortedDictionary<string, string?> Environment { get; init; } = Empty<string?>();
    public ImmutableArray<EnvFileReference> EnvFiles { get; init; } = [];
    public ImmutableArray<ServicePort> Ports { get; init; } = [];
    public ImmutableArray<ServiceVolume> Volumes { get; init; } = [];
    public ImmutableArray<string> Tmpfs { get; init; } = [];
    public ImmutableSortedDictionary<string, ServiceNetwork?> Networks { get; init; } = Empty<ServiceNetwork?>();
    public string? NetworkMode { get; init; }
    public ImmutableSortedDictionary<string, ServiceDependency> DependsOn { get; init; } = Empty<ServiceDependency>();
    public Healthcheck? Healthcheck { get; init; }
    public string? Restart { get; init; }
    public DeploySpec? Deploy { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = Empty<string>();
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public string? StopSignal { get; init; }
    public TimeSpan? StopGracePeriod { get; init; }
    public ImmutableArray<string> CapAdd { get; init; } = [];
    public ImmutableArray<string> CapDrop { get; init; } = [];
    public bool ReadOnly { get; init; }
    public bool? Init { get; init; }
    public ImmutableArray<FileReference> Secrets { get; init; } = [];
    public ImmutableArray<FileReference> Configs { get; init; } = [];
    public LoggingSpec? Logging { get; init; }
    public ImmutableArray<string> Profiles { get; init; } = [];
    public HearthServiceOptions? Hearth { get; init; }
    public ImmutableSortedDictionary<string, ComposeValue> Other { get; init; } = Empty<ComposeValue>();
    public ImmutableSortedDictionary<string, ComposeValue> Extensions { get; init; } = Empty<ComposeValue>();

    private static ImmutableSortedDictionary<string, T> Empty<T>() =>
        ImmutableSortedDictionary.Create<string, T>(StringComparer.Ordinal);
}
