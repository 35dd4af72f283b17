using System.Diagnostics;
using System.Text;

namespace Hearth.Bench.Throughput;

/// <summary>A `hearth` child process whose output is collected.</summary>
public sealed class HearthProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    public HearthProcess(IEnumerable<string> args)
    {
        // HEARTH_BINARY: the Native AOT build users run (bench/throughput.sh passes it); otherwise the JIT build beside
        // this bench.
        var binary = Environment.GetEnvironmentVariable("HEARTH_BINARY");
        var info = new ProcessStartInfo(binary ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (binary is null)
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hearth.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_gate)
                    _output.AppendLine(e.Data);
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_gate)
                    _output.AppendLine(e.Data);
        };
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_gate)
                return _output.ToString();
        }
    }

    public async Task<string> WaitForAsync(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var output = Output;
            if (output.Contains(text, StringComparison.Ordinal))
                return output;
            if (Process.HasExited)
                throw new InvalidOperationException($"hearth exited ({Process.ExitCode}) before '{text}': {output}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out waiting for '{text}': {Output}");
    }

    /// <summary>CPU time (user + system) the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            Process.Refresh();
            return Process.TotalProcessorTime;
        }
    }

    public void Signal(int signal) => Native.Kill(Process.Id, signal);

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Signal(18);
            Signal(15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        Process.Dispose();
    }
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
