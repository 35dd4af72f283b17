namespace Hearth.Server.Configuration;

/// <summary>Everything the server reads from its config file and HEARTH_* variables, with defaults per key.</summary>
public sealed record ServerOptions
{
    /// <summary>host:port to listen on.</summary>
    public string Listen { get; init; } = "127.0.0.1:7070";
    public string DataDir { get; init; } = DefaultDataDir();
    public string StoreDriver { get; init; } = "sqlite";

    /// <summary>SQLite file; defaults to DataDir/hearth.db.</summary>
    public string? StorePath { get; init; }
    public string? StoreConnectionString { get; init; }
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan LongPoll { get; init; } = TimeSpan.FromSeconds(25);
    public TimeSpan RescueInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a pending task may wait while no live agent matches it at all before it fails with the reason.
    /// </summary>
    public TimeSpan UnplaceableTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Attempts in all a task gets when its agent is lost, unless its run or workflow says otherwise (Vulcan's 3).
    /// </summary>
    public int LostAgentAttempts { get; init; } = 3;
    public AccessOptions Access { get; init; } = new();
    public DriverOptions Drivers { get; init; } = new();
    public GitLabOptions GitLab { get; init; } = new();
    public TelemetryOptions Telemetry { get; init; } = new();

    public string ResolvedStorePath => StorePath ?? Path.Combine(DataDir, "hearth.db");

    public static string DefaultDataDir()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "hearth");
    }
}
