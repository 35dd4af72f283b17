using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Cli.Images;

/// <summary>
/// The image store of this host: where its agent unpacks images and where `hearth images` looks. Images live with
/// the agents that run them (like docker's images live with its daemon), not on the server.
/// </summary>
public static class LocalImages
{
    public static string DefaultRoot()
    {
        if (Environment.GetEnvironmentVariable("HEARTH_IMAGES_DIR") is { Length: > 0 } dir)
            return dir;
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(
            string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg,
            "hearth",
            "images"
        );
    }

    /// <summary>
    /// Registry credentials: ~/.docker/config.json when present (docker login writes it), else anonymous.
    /// </summary>
    public static ICredentialProvider Credentials()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var path = Environment.GetEnvironmentVariable("HEARTH_REGISTRY_AUTH") is { Length: > 0 } p
            ? p
            : Path.Combine(home, ".docker", "config.json");
        return File.Exists(path) ? new DockerConfigCredentials(path) : new AnonymousCredentials();
    }

    public static ImageStore Open(string root, HttpClient http) =>
        new(
            new ImageStoreOptions { RootDirectory = root },
            new RegistryClient(http, new RegistryClientOptions(), Credentials(), TimeProvider.System),
            TimeProvider.System
        );
}
