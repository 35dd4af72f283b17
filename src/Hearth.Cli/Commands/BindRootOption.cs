using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>--bind-root DIR</c> (repeatable) on <c>hearth agent</c> and <c>hearth dev</c>: the host directories below which a
/// compose service's bind mounts are allowed on this agent (<c>Services.BindRoots</c>). None by default.
/// </summary>
public static class BindRootOption
{
    public static Option<string[]> Create() =>
        new("--bind-root")
        {
            Description =
                "A host directory below which compose bind mounts are allowed (repeatable; default: none, "
                + "since a bind gives the service whatever is there)",
            AllowMultipleArgumentsPerToken = false,
        };

    /// <summary>
    /// The roots as absolute paths without a trailing slash; a relative or root path is a usage error.
    /// </summary>
    public static IReadOnlyList<string> Parse(string[]? values)
    {
        var roots = new List<string>();
        foreach (var value in values ?? [])
        {
            if (!Path.IsPathFullyQualified(value))
                throw new CliException(
                    $"--bind-root '{value}': expected an absolute path (e.g. {Path.GetFullPath(value)})",
                    2
                );
            var root = Path.GetFullPath(value).TrimEnd('/');
            if (root.Length == 0)
                throw new CliException(
                    "--bind-root '/': allowing binds of the whole host is refused; name a directory",
                    2
                );
            if (!roots.Contains(root, StringComparer.Ordinal))
                roots.Add(root);
        }
        return roots;
    }
}
