using System.Diagnostics;
using System.Text;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Runs the real hearth CLI (the Native AOT executable, <see cref="HearthBinary"/>) as a child process.
/// </summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(HearthBinary.Path)
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
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        return info;
    }

    public static Task<Result> RunAsync(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null
    ) => RunAsync(StartInfo(args, env), timeout);

    /// <summary>
    /// Runs a prepared hearth command to its end, its output collected; killed (and a timeout thrown) past the limit.
    /// </summary>
    public static async Task<Result> RunAsync(ProcessStartInfo info, TimeSpan? timeout = null)
    {
        var args = info.ArgumentList;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"hearth {string.Join(' ', args)} did not finish; stderr so far: {await stderr}"
            );
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A long-running child process whose output lines are collected as they come.</summary>
public sealed class RunningProcess : IAsyncDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    public RunningProcess(ProcessStartInfo info)
    {
        Process = new Process { StartInfo = info, EnableRaisingEvents = true };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_gate)
                    _stdout.AppendLine(e.Data);
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_gate)
                    _stderr.AppendLine(e.Data);
        };
        Process.Start();
        Process.StandardInput.Close();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Stdout
    {
        get
        {
            lock (_gate)
                return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
                return _stderr.ToString();
        }
    }

    public async Task<string> WaitForAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var all = Stdout + Stderr;
            if (condition(all))
                return all;
            if (Process.HasExited && !condition(Stdout + Stderr))
                throw new InvalidOperationException(
                    $"process exited ({Process.ExitCode}) before {what}: {Stdout}{Stderr}"
                );
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out waiting for {what}; output: {Stdout}{Stderr}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token);
        return Process.ExitCode;
    }

    public void Signal(int signal) => Native.Kill(Process.Id, signal);

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
