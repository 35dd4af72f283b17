using System.Collections.Immutable;

namespace Hearth.Compose.Model;

public sealed record NetworkDefinition(
    string Name,
    string? Driver,
    bool External,
    bool Internal,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, ComposeValue> Other
);

public sealed record VolumeDefinition(
    string Name,
    string? Driver,
    bool External,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, ComposeValue> Other
);

/// <summary>A top-level secret or config: from a file, an environment variable, inline content, or external.</summary>
public sealed record FileObjectDefinition(
    string Name,
    string? File,
    string? Environment,
    string? Content,
    bool External,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, ComposeValue> Other
);
