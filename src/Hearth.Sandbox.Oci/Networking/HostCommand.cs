using System.Diagnostics;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>Runs ip(8) and nft(8); a failure becomes an exception carrying the tool's error.</summary>
internal static class HostCommand
{
    public static async Task RunAsync(
        string file,
        IReadOnlyList<string> args,
        CancellationToken cancellationToken,
        string? input = null
    )
    {
        var (exitCode, error) = await TryRunAsync(file, args, cancellationToken, input);
        if (exitCode != 0)
            throw new NetworkSetupException($"{file} {string.Join(' ', args)} failed: {error}");
    }

    public static async Task<(int ExitCode, string Error)> TryRunAsync(
        string file,
        IReadOnlyList<string> args,
        CancellationToken cancellationToken,
        string? input = null
    )
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new NetworkSetupException($"cannot start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new NetworkSetupException($"{file} is not installed: {e.Message}", e);
        }
        using (process)
        {
            if (input is not null)
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            await stdout;
            return (process.ExitCode, (await stderr).Trim());
        }
    }
}
