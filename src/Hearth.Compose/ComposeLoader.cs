using Hearth.Compose.Binding;
using Hearth.Compose.Interpolation;
using Hearth.Compose.Loading;
using Hearth.Compose.Yaml;

namespace Hearth.Compose;

/// <summary>
/// The one entry point: reads the compose files, interpolates, validates, merges files, includes and extends,
/// applies profiles and returns the project model or every error found.
/// </summary>
public static class ComposeLoader
{
    public static ComposeLoadResult Load(ComposeLoadOptions options)
    {
        var errors = new List<ComposeError>();
        if (options.Files.Count == 0)
            return ComposeLoadResult.Failed([new ComposeError("", 0, 0, "", "no compose file given")]);
        var files = options.Files.Select(f => Path.GetFullPath(Path.Combine(options.WorkingDirectory, f))).ToList();
        var projectDirectory = Path.GetDirectoryName(files[0])!;

        var variables = ProjectEnvironment.Build(options, projectDirectory, errors);
        var loader = new FileTreeLoader(options.FileSystem, errors);
        var raw = files.Select(f => loader.Parse(f, null)).ToList();
        if (errors.Count > 0)
            return ComposeLoadResult.Failed(errors);

        var name = ResolveName(options, variables, raw!, projectDirectory, errors);
        variables.TryAdd("COMPOSE_PROJECT_NAME", name);
        string? Lookup(string key) => variables.GetValueOrDefault(key);

        YMapping? merged = null;
        foreach (var file in files)
        {
            var tree = loader.Load(file, Lookup, []);
            if (tree is not null)
                merged = merged is null ? tree : (YMapping)TreeMerger.Merge(merged, tree);
        }
        if (errors.Count > 0 || merged is null)
            return ComposeLoadResult.Failed(errors);

        if (merged["services"] is YMapping services)
            merged = merged.With(
                "services",
                new ExtendsResolver(loader, Lookup, errors).ResolveAll(services, files[0])
            );
        if (errors.Count > 0)
            return ComposeLoadResult.Failed(errors);

        var profiles = options
            .Profiles.Concat(
                (Lookup("COMPOSE_PROFILES") ?? "").Split(
                    ',',
                    StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
                )
            )
            .ToHashSet(StringComparer.Ordinal);
        var context = new BindingContext(name, Lookup, options.FileSystem, options.ResolveEnvFiles, errors);
        var project = new ProjectBinder(context, profiles).Bind(merged, projectDirectory);
        if (errors.Count > 0)
            return ComposeLoadResult.Failed(errors);
        if (options.CheckConsistency)
            project = new ConsistencyChecker(merged, errors).Check(project);
        return errors.Count > 0 ? ComposeLoadResult.Failed(errors) : new ComposeLoadResult(project, []);
    }

    private static string ResolveName(
        ComposeLoadOptions options,
        Dictionary<string, string> variables,
        IReadOnlyList<YMapping> files,
        string projectDirectory,
        List<ComposeError> errors
    )
    {
        if (options.ProjectName is { Length: > 0 } explicitName)
            return explicitName;
        if (variables.TryGetValue("COMPOSE_PROJECT_NAME", out var fromEnvironment) && fromEnvironment.Length > 0)
            return fromEnvironment;
        var declared = files.Select(f => f["name"]).LastOrDefault(n => n is YScalar { IsNull: false }) as YScalar;
        if (declared is null)
            return ProjectName.FromDirectory(Path.GetFileName(projectDirectory));
        var result = Template.Substitute(declared.Value, key => variables.GetValueOrDefault(key));
        var name = result.Value ?? declared.Value;
        if (!ProjectName.IsValid(name))
            errors.Add(
                ComposeError.At(
                    declared.Mark,
                    "name",
                    $"name \"{name}\" must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit"
                )
            );
        return name;
    }
}
