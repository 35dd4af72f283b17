using System.Text.RegularExpressions;

namespace Hearth.Sandbox.Oci.References;

/// <summary>
/// A parsed image reference: <c>[registry/]repository[:tag][@digest]</c>.
/// Without a registry the reference means Docker Hub, and single-name repositories get <c>library/</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";
    public const string DefaultTag = "latest";

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Host[:port] as written by the user, e.g. <c>127.0.0.1:5000</c> or <c>docker.io</c>.</summary>
    public string Registry { get; }

    public string Repository { get; }

    /// <summary>The tag; null when the reference names only a digest.</summary>
    public string? Tag { get; }

    public Digest? Digest { get; }

    /// <summary>What to ask the registry's manifest endpoint for: the digest when given, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? DefaultTag;

    /// <summary>The host that serves the registry API (Docker Hub's API lives on another host).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    public static ImageReference Parse(string value) =>
        TryParse(value, out var reference, out var error) ? reference : throw new FormatException(error);

    public static bool TryParse(string? value, out ImageReference reference, out string error)
    {
        reference = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(value) || value.Length > 512)
        {
            error = "an image reference must be 1 to 512 characters";
            return false;
        }

        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!References.Digest.TryParse(rest[(at + 1)..], out var d))
            {
                error = $"invalid digest in '{value}'";
                return false;
            }
            digest = d;
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var tagColon = rest.IndexOf(':', lastSlash + 1);
        if (tagColon >= 0)
        {
            tag = rest[(tagColon + 1)..];
            rest = rest[..tagColon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"invalid tag '{tag}'";
                return false;
            }
        }

        var registry = DockerHub;
        var firstSlash = rest.IndexOf('/');
        if (firstSlash > 0)
        {
            var first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                rest = rest[(firstSlash + 1)..];
                if (!RegistryPattern().IsMatch(registry))
                {
                    error = $"invalid registry '{registry}'";
                    return false;
                }
            }
        }

        if (registry is DockerHub or "index.docker.io")
        {
            registry = DockerHub;
            if (!rest.Contains('/'))
                rest = "library/" + rest;
        }

        if (!RepositoryPattern().IsMatch(rest) || rest.Length > 255)
        {
            error = $"invalid repository '{rest}' (lowercase letters, digits, separators . _ __ - and /)";
            return false;
        }

        if (tag is null && digest is null)
            tag = DefaultTag;
        reference = new ImageReference(registry, rest, tag, digest);
        return true;
    }

    /// <summary>The same repository pinned to <paramref name="digest"/>.</summary>
    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, null, digest);

    /// <summary>The canonical form, e.g. <c>docker.io/library/alpine:3</c>.</summary>
    public override string ToString()
    {
        var text = $"{Registry}/{Repository}";
        if (Tag is not null)
            text += ":" + Tag;
        if (Digest is { } d)
            text += "@" + d;
        return text;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(
        @"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?$"
    )]
    private static partial Regex RegistryPattern();
}
