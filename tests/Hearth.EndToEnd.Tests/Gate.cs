namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A file a run waits for, so the test decides when the run goes on instead of a sleep that must outlast the test's own
/// steps (CLI starts on a loaded machine). Only for runs that see the host's files: the process driver.
/// </summary>
internal sealed class Gate : IDisposable
{
    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hearth-e2e-gate-{Guid.NewGuid():N}");

    /// <summary>
    /// Shell code that returns once the gate is open (or after two minutes, so a failed test leaves no run behind).
    /// </summary>
    public string Wait => $"i=0; while [ ! -e {Path} ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done";

    public void Open() => File.WriteAllText(Path, "");

    public void Dispose() => File.Delete(Path);
}
