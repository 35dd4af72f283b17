namespace Hearth.Core.Builds;

/// <summary>
/// POST /api/v1/builds: build an image on an agent that runs the buildah driver and push it (a compose service's
/// <c>build:</c>). Answered with the build's run (a command run on the buildah driver), 201.
/// </summary>
/// <param name="Service">What the build is for, shown as the run's command (a compose service name).</param>
public sealed record CreateBuildBody(
    string Image,
    string Dockerfile,
    string Context,
    Dictionary<string, string>? Args = null,
    string? Target = null,
    string? Service = null
);

/// <summary>The driver that builds images, and its agent label.</summary>
public static class Builders
{
    public const string Driver = "buildah";

    /// <summary>The label an agent that can build carries (driver.buildah=true).</summary>
    public const string Label = "driver." + Driver;

    /// <summary>The largest context accepted, compressed (the API's body limit leaves room for its base64).</summary>
    public const long MaxContextBytes = 12L * 1024 * 1024;
}
