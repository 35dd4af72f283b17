using Hearth.Sandbox;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>A scratch root per test class and helpers to start sandboxes in it.</summary>
public abstract class SandboxTestBase : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    protected SandboxTestBase()
    {
        ScratchRoot = Path.Combine(Path.GetTempPath(), $"hearth-sandbox-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(ScratchRoot);
    }

    protected string ScratchRoot { get; }

    // One instance of each, as in an agent: each driver owns a spawner thread for its whole life.
    private static readonly ProcessDriver ProcessDriver = new();
    private static readonly BubblewrapDriver BubblewrapDriver = new();

    protected static ISandboxDriver Driver(string name) =>
        name switch
        {
            "process" => ProcessDriver,
            "bubblewrap" => BubblewrapDriver,
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

    protected SandboxSpec Spec(params string[] command) =>
        new()
        {
            SandboxId = $"t-{Guid.NewGuid():N}",
            Command = command,
            ScratchRoot = ScratchRoot,
        };

    protected static SandboxSpec Sh(SandboxSpec spec, string script) => spec with { Command = ["sh", "-c", script] };

    protected SandboxSpec Sh(string script) => Spec("sh", "-c", script);

    /// <summary>Starts, waits and disposes; returns the exit and the output.</summary>
    private protected static async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(
        ISandboxDriver driver,
        SandboxSpec spec
    )
    {
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }

    internal static RunningSandbox Running(ISandbox sandbox) => (RunningSandbox)sandbox;

    /// <summary>The sandbox's root and every process below it, now.</summary>
    internal static IReadOnlyList<int> Tree(ISandbox sandbox) =>
        [sandbox.Pid, .. ProcTable.Descendants(ProcTable.Snapshot(), sandbox.Pid)];

    /// <summary>Those of <paramref name="pids"/> still alive (not gone, not a zombie awaiting its reaper).</summary>
    internal static IReadOnlyList<int> Alive(IEnumerable<int> pids) =>
        pids.Where(pid => ProcTable.TryRead(pid) is not null).ToList();

    internal static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Live processes whose process group is <paramref name="pgid"/>.</summary>
    internal static IReadOnlyList<int> ProcessGroupMembers(int pgid) =>
        ProcTable.Snapshot().Where(e => e.ProcessGroup == pgid).Select(e => e.Pid).ToList();

    public void Dispose()
    {
        foreach (var directory in new[] { ScratchRoot, ScratchRoot + ".state" })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (DirectoryNotFoundException) { }
        }
        GC.SuppressFinalize(this);
    }
}
