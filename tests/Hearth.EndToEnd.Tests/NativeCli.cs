using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The CLI as users get it: the repository's <c>./hearth</c> wrapper, which publishes Native AOT into
/// <c>.artifacts/hearth/</c> on first use (test.sh builds it before the suite, so this usually finds it fresh).
/// </summary>
public sealed class NativeCli : IAsyncLifetime
{
    public string Root { get; } = FindRoot();

    public string Binary => Path.Combine(Root, ".artifacts", "hearth", "hearth");

    public async Task InitializeAsync()
    {
        var info = new ProcessStartInfo(Path.Combine(Root, "hearth")) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--version");
        using var build = Process.Start(info)!;
        var stderr = build.StandardError.ReadToEndAsync();
        await build.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await build.WaitForExitAsync(cts.Token);
        if (build.ExitCode != 0) throw new InvalidOperationException($"./hearth --version failed ({build.ExitCode}): {await stderr}");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public Task<CliProcess.Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> env, TimeSpan? timeout = null) =>
        CliProcess.RunAsync(StartInfo(args, env), timeout);

    public ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("HEARTH_SERVER");
        info.Environment.Remove("HEARTH_API_KEY");
        foreach (var (key, value) in env) info.Environment[key] = value;
        return info;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hearth.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Hearth.sln not found above " + AppContext.BaseDirectory);
    }
}
