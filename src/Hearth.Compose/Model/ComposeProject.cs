using System.Collections.Immutable;

namespace Hearth.Compose.Model;

/// <summary>A loaded, interpolated, merged and validated compose project.</summary>
public sealed record ComposeProject(
    string Name,
    string WorkingDirectory,
    ImmutableSortedDictionary<string, ComposeService> Services,
    ImmutableSortedDictionary<string, NetworkDefinition> Networks,
    ImmutableSortedDictionary<string, VolumeDefinition> Volumes,
    ImmutableSortedDictionary<string, FileObjectDefinition> Secrets,
    ImmutableSortedDictionary<string, FileObjectDefinition> Configs,
    ImmutableSortedDictionary<string, ComposeValue> Models,
    ImmutableSortedDictionary<string, ComposeValue> Extensions,
    ImmutableSortedDictionary<string, ComposeService> DisabledServices
);
