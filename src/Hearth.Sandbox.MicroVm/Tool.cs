using System.Diagnostics;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Runs a host tool (mkfs.ext4, qemu-img, QEMU's --version) to its end and returns its exit code and output.
/// </summary>
internal static class Tool
{
    public static async Task<(int Code, string Output)> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        CancellationToken cancellationToken
    )
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new IOException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, ((await output) + (await error)).Trim());
    }

    public static async Task CheckAsync(
        string program,
        IReadOnlyList<string> arguments,
        CancellationToken cancellationToken
    )
    {
        try
        {
            var (code, output) = await RunAsync(program, arguments, cancellationToken);
            if (code != 0)
                throw new IOException($"{Path.GetFileName(program)} failed (exit {code}): {output}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run {program}: {e.Message}", e);
        }
    }
}
