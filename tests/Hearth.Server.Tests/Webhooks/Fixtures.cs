namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// Finds ../shared/fixtures/webhooks from the directory that holds Hearth.sln (read-only third-party payloads).
/// </summary>
internal static class Fixtures
{
    public static string Webhooks { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hearth.sln")))
            dir = dir.Parent;
        if (dir is null)
            throw new InvalidOperationException("Hearth.sln not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "webhooks"));
    }
}
