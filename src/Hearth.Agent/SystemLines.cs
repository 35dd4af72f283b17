using Hearth.Core.Logs;

namespace Hearth.Agent;

/// <summary>
/// Hearth's own lines about a task (a driver's progress while it gets a sandbox ready) into the task's log, as SYSTEM
/// lines, in the order they are reported. A driver reports from its own threads and waits while the line is queued.
/// </summary>
public sealed class SystemLines(LogShipper shipper) : IProgress<string>
{
    private readonly Lock _gate = new();

    public void Report(string value)
    {
        lock (_gate)
            shipper.WriteAsync(LogStream.System, value, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
