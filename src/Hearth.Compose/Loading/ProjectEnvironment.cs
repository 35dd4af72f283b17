using Hearth.Compose.Interpolation;

namespace Hearth.Compose.Loading;

/// <summary>
/// The variables used for interpolation: <c>--env-file</c> files (or <c>.env</c> in the project directory) overridden
/// by the process environment.
/// </summary>
internal static class ProjectEnvironment
{
    public static Dictionary<string, string> Build(
        ComposeLoadOptions options,
        string projectDirectory,
        List<ComposeError> errors
    )
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Process(string name) => options.Environment.TryGetValue(name, out var v) ? v : null;
        string? Lookup(string name) => Process(name) ?? variables.GetValueOrDefault(name);

        var explicitFiles = options
            .EnvFiles.Select(f => Path.GetFullPath(Path.Combine(options.WorkingDirectory, f)))
            .ToList();
        var files = explicitFiles.Count > 0 ? explicitFiles : [Path.Combine(projectDirectory, ".env")];
        foreach (var file in files)
        {
            var text = options.FileSystem.ReadAllText(file);
            if (text is null)
            {
                if (explicitFiles.Count > 0)
                    errors.Add(new ComposeError(file, 0, 0, "", $"env file {file} not found"));
                continue;
            }
            var parsed = DotEnv.Parse(text, Lookup);
            if (parsed.Error is not null)
                errors.Add(new ComposeError(file, parsed.ErrorLine, 1, "", parsed.Error));
            foreach (var (key, value) in parsed.Variables)
                variables[key] = value;
        }
        foreach (var (key, value) in options.Environment)
            variables[key] = value;
        return variables;
    }
}
