using System.ComponentModel;
using System.Diagnostics;

namespace Hearth.Sandbox.Bubblewrap;

/// <summary>Locates bwrap and asks it for its version.</summary>
internal static class BubblewrapBinary
{
    public static string? Locate(string configured)
    {
        if (configured.Contains('/'))
        {
            return File.Exists(configured) ? configured : null;
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? Running.SandboxEnvironment.DefaultPath;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, configured))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Runs bwrap with <paramref name="arguments"/>; returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string bwrap, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(bwrap)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment.Clear();
        info.Environment["PATH"] = Running.SandboxEnvironment.DefaultPath;
        try
        {
            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"timed out after {timeout}");
            }
            return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
        }
        catch (Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
