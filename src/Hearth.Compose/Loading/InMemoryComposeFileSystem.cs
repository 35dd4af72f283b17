using System.Collections.Immutable;

namespace Hearth.Compose.Loading;

/// <summary>Files held in memory, keyed by absolute path (tests, or a compose file read from stdin).</summary>
public sealed class InMemoryComposeFileSystem(IReadOnlyDictionary<string, string> files) : IComposeFileSystem
{
    private readonly ImmutableDictionary<string, string> _files = files.ToImmutableDictionary(
        kv => Path.GetFullPath(kv.Key),
        kv => kv.Value
    );

    public string? ReadAllText(string path) => _files.GetValueOrDefault(Path.GetFullPath(path));
}
