using Hearth.Compose.Loading;

namespace Hearth.Compose.Tests;

/// <summary>Loads compose text held in memory under /project.</summary>
internal static class InMemory
{
    public static ComposeLoadResult Load(
        string compose,
        Dictionary<string, string>? otherFiles = null,
        Dictionary<string, string>? env = null,
        string[]? profiles = null
    )
    {
        var files = new Dictionary<string, string>(otherFiles ?? []) { ["/project/compose.yaml"] = compose };
        return ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = ["compose.yaml"],
                WorkingDirectory = "/project",
                FileSystem = new InMemoryComposeFileSystem(files),
                Environment = env ?? [],
                Profiles = profiles ?? [],
            }
        );
    }

    public static Model.ComposeProject Project(
        string compose,
        Dictionary<string, string>? otherFiles = null,
        Dictionary<string, string>? env = null,
        string[]? profiles = null
    )
    {
        var result = Load(compose, otherFiles, env, profiles);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Project!;
    }
}
