using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The hearth CLI as users get it: the Native AOT executable the repository's <c>./hearth</c> wrapper publishes into
/// <c>.artifacts/hearth/</c>. Every end-to-end process (servers, agents, CLI calls) runs it: a CLI call starts in
/// milliseconds instead of spending a fifth of a second of CPU in the JIT, which the suite's many short calls and
/// polls add up to minutes. The wrapper is asked once per test run, so a build older than the sources is rebuilt
/// first (test.sh builds it before the suite, so this usually finds it fresh).
/// </summary>
public static class HearthBinary
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The repository root: where Hearth.sln and the ./hearth wrapper are.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The executable, built and fresh.</summary>
    public static string Path => Built.Value;

    private static string Build()
    {
        var info = new ProcessStartInfo(System.IO.Path.Combine(Root, "hearth"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("--version");
        using var build = Process.Start(info)!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        if (!build.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            build.Kill(entireProcessTree: true);
            throw new TimeoutException("./hearth --version did not finish building the CLI within 15 minutes");
        }
        stdout.Wait();
        if (build.ExitCode != 0)
            throw new InvalidOperationException($"./hearth --version failed ({build.ExitCode}): {stderr.Result}");
        return System.IO.Path.Combine(Root, ".artifacts", "hearth", "hearth");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Hearth.sln")))
            dir = dir.Parent;
        return dir?.FullName
            ?? throw new InvalidOperationException("Hearth.sln not found above " + AppContext.BaseDirectory);
    }
}
