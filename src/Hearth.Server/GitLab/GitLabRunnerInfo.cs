using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Hearth.Server.GitLab;

/// <summary>
/// What Hearth tells GitLab about itself as a runner, and the system id GitLab tells its managers apart by.
/// </summary>
public static class GitLabRunnerInfo
{
    public static RunnerVersionInfo Info { get; } =
        new(
            "hearth",
            typeof(GitLabRunnerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            "hearth",
            "linux",
            RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            "hearth",
            "sh",
            new RunnerFeatures()
        );

    /// <summary>One per stored runner, the same on every server sharing the database (only the leader polls).</summary>
    public static string SystemId(string runnerName, string url) =>
        "s_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(runnerName + "\n" + url)))[..12];
}
