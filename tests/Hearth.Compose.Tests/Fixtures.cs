namespace Hearth.Compose.Tests;

/// <summary>Finds ../shared/fixtures/compose from the directory that holds Hearth.sln.</summary>
internal static class Fixtures
{
    public static string ComposeDirectory { get; } = Find();

    public static string InvalidDirectory => Path.Combine(ComposeDirectory, "invalid");

    /// <summary>
    /// Extends sources that are not complete projects: loaded alone, Docker Compose refuses them too
    /// (see the fixtures README).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> IncompleteExtendsSources = new Dictionary<string, string>
    {
        ["compose-go/extends/base.yaml"] = "has neither an image nor a build context specified",
    };

    /// <summary>
    /// Files that pass the schema but not the whole-project checks; their upstream tests load them with
    /// consistency checks off (full-example.yml names undefined services, networks and volumes).
    /// </summary>
    public static readonly IReadOnlySet<string> SchemaOnly = new HashSet<string> { "compose-go/full-example.yml" };

    public static IEnumerable<string> ValidFiles() =>
        Directory
            .EnumerateFiles(ComposeDirectory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Where(f => !Relative(f).StartsWith("invalid/", StringComparison.Ordinal))
            .Where(f => !IncompleteExtendsSources.ContainsKey(Relative(f)))
            .Order(StringComparer.Ordinal);

    public static IEnumerable<string> InvalidFiles() =>
        Directory.EnumerateFiles(InvalidDirectory, "*.y*ml").Order(StringComparer.Ordinal);

    public static string Relative(string path) => Path.GetRelativePath(ComposeDirectory, path).Replace('\\', '/');

    public static TheoryData<string> Theory(IEnumerable<string> files)
    {
        var data = new TheoryData<string>();
        foreach (var f in files)
            data.Add(Relative(f));
        return data;
    }

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hearth.sln")))
            dir = dir.Parent;
        if (dir is null)
            throw new InvalidOperationException("Hearth.sln not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "compose"));
    }
}
