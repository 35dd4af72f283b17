using System.Text;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Services;

/// <summary>
/// Runs one replica's health check through the sandbox's exec, on <see cref="TimeProvider"/>'s clock, until cancelled
/// or the sandbox is gone, and hands each state worth reporting (<see cref="HealthRules.ShouldReport"/>) to
/// <c>report</c>, which returns false to stop (the lease is gone). A check that outlives <c>timeout</c> fails.
/// </summary>
public sealed class HealthMonitor(
    HealthCheckSpec spec,
    ISandbox sandbox,
    Func<HealthState, Task<bool>> report,
    TimeProvider time,
    ILogger logger
)
{
    public const int OutputLimit = 4096;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var state = HealthState.Initial;
        try
        {
            // The first interval runs from the start, not from the server's answer to the first report.
            Task? first = Task.Delay(HealthRules.Delay(spec, state, InStartPeriod()), time, cancellationToken);
            if (!await report(state))
                return;
            while (true)
            {
                await (first ?? Task.Delay(HealthRules.Delay(spec, state, InStartPeriod()), time, cancellationToken));
                first = null;
                var (passed, output) = await CheckAsync(cancellationToken);
                if (passed is null)
                    return;
                var next = HealthRules.Next(state, passed.Value, output, InStartPeriod(), spec.Retries);
                var changed = HealthRules.ShouldReport(state, next);
                state = next;
                if (changed && !await report(state))
                    return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }

        bool InStartPeriod() => time.GetUtcNow() - started < spec.StartPeriod;
    }

    /// <summary>Null when the sandbox cannot run checks any more (it exited).</summary>
    private async Task<(bool? Passed, string Output)> CheckAsync(CancellationToken cancellationToken)
    {
        var output = new CappedOutput(OutputLimit);
        using var timeout = new CancellationTokenSource(spec.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var exit = await sandbox.ExecAsync(spec.Test, output, linked.Token);
            return (exit.ExitCode == 0, output.Text);
        }
        catch (OperationCanceledException)
            when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (false, $"health check timed out after {spec.Timeout.TotalSeconds:0.###}s");
        }
        catch (InvalidOperationException e)
        {
            logger.LogDebug("health check stops: {Error}", e.Message);
            return (null, "");
        }
        catch (Exception e)
            when (e is IOException or SandboxCapabilityException or System.ComponentModel.Win32Exception)
        {
            return (false, $"health check could not run: {e.Message}");
        }
    }

    private sealed class CappedOutput(int limit) : ISandboxOutput
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                    return _text.ToString();
            }
        }

        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_text.Length < limit)
                    _text.Append(line.AsSpan(0, Math.Min(line.Length, limit - _text.Length))).Append('\n');
            }
            return ValueTask.CompletedTask;
        }
    }
}
