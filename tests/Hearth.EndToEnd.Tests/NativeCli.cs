using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The CLI as users get it (<see cref="HearthBinary"/>), for the tests that check the published executable itself and
/// drive it with an environment of their own.
/// </summary>
public sealed class NativeCli : IAsyncLifetime
{
    public string Binary { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Binary = HearthBinary.Path;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public Task<CliProcess.Result> RunAsync(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string> env,
        TimeSpan? timeout = null
    ) => CliProcess.RunAsync(StartInfo(args, env), timeout);

    public ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment.Remove("HEARTH_SERVER");
        info.Environment.Remove("HEARTH_API_KEY");
        foreach (var (key, value) in env)
            info.Environment[key] = value;
        return info;
    }
}
