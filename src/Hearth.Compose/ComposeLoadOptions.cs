using Hearth.Compose.Loading;

namespace Hearth.Compose;

/// <summary>
/// What <c>hearth compose config -f FILE [-f FILE2] [--profile P] [--env-file F]</c> passes to the loader.
/// Relative paths are taken from <see cref="WorkingDirectory"/>.
/// </summary>
public sealed record ComposeLoadOptions
{
    /// <summary>Compose files, in override order (later files override earlier ones).</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary><c>--env-file</c>; when empty, <c>.env</c> in the project directory is read if present.</summary>
    public IReadOnlyList<string> EnvFiles { get; init; } = [];

    /// <summary>
    /// <c>--profile</c>; <c>*</c> enables every profile. COMPOSE_PROFILES in the environment adds more.
    /// </summary>
    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary>
    /// <c>-p</c>; otherwise COMPOSE_PROJECT_NAME, the top-level <c>name</c>, then the directory name.
    /// </summary>
    public string? ProjectName { get; init; }

    /// <summary>The process environment; it takes precedence over <c>.env</c> and <c>--env-file</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    public IComposeFileSystem FileSystem { get; init; } = new PhysicalComposeFileSystem();

    /// <summary>
    /// Read each service's <c>env_file</c> into its environment (Docker's default). When false the references are
    /// kept unread, like <c>docker compose config --no-env-resolution</c>.
    /// </summary>
    public bool ResolveEnvFiles { get; init; } = true;

    /// <summary>
    /// Run the whole-project checks (image or build, declared references, dependency cycles). False is
    /// <c>docker compose config --no-consistency</c>.
    /// </summary>
    public bool CheckConsistency { get; init; } = true;
}
