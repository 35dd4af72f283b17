namespace Hearth.Core.Builds;

/// <summary>
/// An image to build on an agent that runs the buildah driver and push to a registry: a compose service's
/// <c>build:</c>, as <c>hearth up</c> sends it. Kept with its task (the context travels inside it).
/// </summary>
/// <param name="Image">Where the image is pushed: REGISTRY/REPOSITORY:TAG (the tag names the build's content
/// digest).</param>
/// <param name="Dockerfile">The Dockerfile's text (from the context, another path, or
/// <c>dockerfile_inline</c>).</param>
/// <param name="Context">The build context: a gzip'd tar of regular files and directories, base64.</param>
/// <param name="Args">Build arguments (<c>--build-arg NAME=VALUE</c>).</param>
/// <param name="Target">The stage to build (<c>--target</c>); null: the last one.</param>
public sealed record ImageBuildSpec(
    string Image,
    string Dockerfile,
    string Context,
    IReadOnlyDictionary<string, string> Args,
    string? Target
);
