namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>An IProgress that reports inline (System.Progress posts to the thread pool, out of order).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
            report(value);
    }
}
