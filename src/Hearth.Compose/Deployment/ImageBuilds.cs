using System.Security.Cryptography;
using System.Text;
using Hearth.Compose.Model;
using Hearth.Core.Builds;

namespace Hearth.Compose.Deployment;

/// <summary>One service's image to build: where it is pushed (tagged by content) and what it is built from.</summary>
public sealed record ServiceBuild(
    string Service,
    string Image,
    string Dockerfile,
    ContextArchive Context,
    IReadOnlyDictionary<string, string> Args,
    string? Target
);

/// <summary>
/// The images a project's <c>build:</c> services need, each tagged by a digest of everything that makes it (the packed
/// context, the Dockerfile, the build arguments and the target), so an unchanged build keeps its tag and is not built
/// again. They are pushed to the project's registry: <c>hearth up --registry</c>, else the compose file's top-level
/// <c>x-hearth: {registry: HOST[:PORT][/PATH]}</c>; the image is REGISTRY/PROJECT/SERVICE:TAG. What cannot be built
/// here is refused naming the service and key.
/// </summary>
public static class ImageBuilds
{
    /// <summary>Build keys Hearth does not act on: refused, since ignoring them would build something else.</summary>
    private static readonly string[] Unsupported =
    [
        "additional_contexts",
        "secrets",
        "ssh",
        "platforms",
        "cache_from",
        "cache_to",
        "network",
        "extra_hosts",
        "shm_size",
        "isolation",
        "privileged",
        "entitlements",
        "no_cache",
        "pull",
        "tags",
        "ulimits",
    ];

    /// <summary>
    /// The registry the project's built images go to: <paramref name="flag"/>, else <c>x-hearth.registry</c>.
    /// </summary>
    public static string? RegistryOf(ComposeProject project, string? flag) =>
        flag is { Length: > 0 } ? flag.TrimEnd('/')
        : project.Extensions.GetValueOrDefault("x-hearth") is ComposeValue.MapValue map
        && map.Entries.FirstOrDefault(e => e.Key == "registry").Value
            is ComposeValue.StringValue { Value: { Length: > 0 } registry }
            ? registry.TrimEnd('/')
        : null;

    public static (IReadOnlyList<ServiceBuild> Builds, IReadOnlyList<ComposeError> Errors) Plan(
        ComposeProject project,
        string? registry,
        string? file = null
    )
    {
        var builds = new List<ServiceBuild>();
        var errors = new List<ComposeError>();
        void Error(string path, string message) => errors.Add(new ComposeError(file ?? "", 0, 0, path, message));
        foreach (var service in project.Services.Values.Where(s => s.Build is not null))
        {
            var at = $"services.{service.Name}.build";
            var build = service.Build!;
            if (registry is null)
            {
                Error(
                    at,
                    "no registry to push the built image to: pass `hearth up --registry HOST[:PORT]` or set `x-hearth: {registry: …}` "
                        + "at the top of the compose file"
                );
                continue;
            }
            if (build.Other.Keys.FirstOrDefault(k => Unsupported.Contains(k)) is { } key)
            {
                Error($"{at}.{key}", $"{key} is not supported by Hearth's builds (buildah on an agent); remove it");
                continue;
            }
            if (
                build.Context.Contains("://", StringComparison.Ordinal)
                || build.Context.StartsWith("git@", StringComparison.Ordinal)
            )
            {
                Error(
                    $"{at}.context",
                    $"\"{build.Context}\": only a local directory is sent as a build context (not a URL or git repository)"
                );
                continue;
            }
            if (!Directory.Exists(build.Context))
            {
                Error($"{at}.context", $"{build.Context}: no such directory");
                continue;
            }
            string dockerfile;
            if (build.DockerfileInline is { } inline)
                dockerfile = inline;
            else
            {
                var path = Path.GetFullPath(Path.Combine(build.Context, build.Dockerfile ?? "Dockerfile"));
                if (!File.Exists(path))
                {
                    Error($"{at}.dockerfile", $"{path}: no such file");
                    continue;
                }
                dockerfile = File.ReadAllText(path);
            }
            var context = ContextArchive.Pack(build.Context);
            if (context.Compressed.LongLength > Builders.MaxContextBytes)
            {
                Error(
                    $"{at}.context",
                    $"{build.Context}: {context.Compressed.LongLength} bytes packed, at most {Builders.MaxContextBytes} "
                        + "are sent (leave files out with a .dockerignore)"
                );
                continue;
            }
            var args = build
                .Args.Where(a => a.Value is not null)
                .ToDictionary(a => a.Key, a => a.Value!, StringComparer.Ordinal);
            var image =
                $"{registry}/{Repository(project.Name)}/{Repository(service.Name)}:{Tag(context, dockerfile, args, build.Target)}";
            builds.Add(new ServiceBuild(service.Name, image, dockerfile, context, args, build.Target));
        }
        return (builds, errors);
    }

    /// <summary>
    /// The first 32 hex digits of a SHA-256 over the context's digest, the Dockerfile, the arguments and the target.
    /// </summary>
    public static string Tag(
        ContextArchive context,
        string dockerfile,
        IReadOnlyDictionary<string, string> args,
        string? target
    )
    {
        var text = new StringBuilder()
            .Append("context\0")
            .Append(context.Digest)
            .Append("\0dockerfile\0")
            .Append(dockerfile);
        foreach (var (name, value) in args.OrderBy(a => a.Key, StringComparer.Ordinal))
            text.Append("\0arg\0").Append(name).Append('=').Append(value);
        text.Append("\0target\0").Append(target ?? "");
        return "c" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>A repository path component: lower case, [a-z0-9] separated by single '.', '_' or '-'.</summary>
    private static string Repository(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
                text.Append(c);
            else if (text.Length > 0 && text[^1] is not ('.' or '_' or '-'))
                text.Append(c is '.' or '_' ? c : '-');
        }
        return text.ToString().TrimEnd('.', '_', '-') is { Length: > 0 } done ? done : "x";
    }
}
