using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Hearth.Sandbox.Oci.Tests.Support;

internal static class Tools
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}"
            );
        return await stdout;
    }

    /// <summary>"UID:GID" of a path as the host sees it (a symlink's own owner).</summary>
    public static async Task<string> OwnerAsync(string path) => (await RunAsync("stat", "-c", "%u:%g", path)).Trim();

    /// <summary>
    /// A new sandbox id of the agent's shape (task <c>-a</c>attempt<c>-e</c>epoch), as the orphan reaper reads them.
    /// </summary>
    public static string NewSandboxId() => $"{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}-1-a1-e1";

    public static string TempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
