using System.Diagnostics;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>Runs short runtime subcommands (kill, delete, --version) and reports their outcome.</summary>
internal sealed class RuntimeCommand(string runtime, string stateRoot)
{
    public string Runtime => runtime;

    public string StateRoot => stateRoot;

    public ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo(runtime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--root");
        start.ArgumentList.Add(stateRoot);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return start;
    }

    public async Task<(int ExitCode, string Output)> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))
            ?? throw new InvalidOperationException($"cannot start {runtime}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }

    public static async Task<(int ExitCode, string Output)> VersionAsync(
        string runtime,
        CancellationToken cancellationToken
    )
    {
        var start = new ProcessStartInfo(runtime, "--version")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {runtime}");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, output);
    }
}
