using System.Security.Cryptography;
using Hearth.Sandbox;
using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Tests;

/// <summary>The agent's reaper reports each pass as one structured line with its counts per kind (its metric).</summary>
public sealed class ReaperLoopTests
{
    [Fact]
    public async Task A_pass_logs_one_line_with_what_it_removed_per_kind()
    {
        var scratch = Directory.CreateTempSubdirectory("hearth-reaper-loop-").FullName;
        var logger = new RecordingLogger();
        try
        {
            // Real orphans of a dead agent: a process-driver command in its cgroups and a scratch directory with nothing else.
            var orphan = NewId();
            await AgentHarness.Driver("process").StartAsync(new SandboxSpec { SandboxId = orphan, Command = ["sleep", "600"], ScratchRoot = scratch },
                new NoOutput(), CancellationToken.None);
            Directory.CreateDirectory(Path.Combine(scratch, NewId()));
            var loop = new ReaperLoop(new OrphanReaper(HostOrphanSources.Create(TimeProvider.System), scratch, FixedLiveSandboxes.None),
                TimeSpan.Zero, TimeProvider.System, logger);

            var report = await loop.ReapOnceAsync(CancellationToken.None);
            var again = await loop.ReapOnceAsync(CancellationToken.None);

            Assert.Equal(0, report.Failed);
            var passes = logger.Entries.Where(e => e.Message.StartsWith("orphan reaper pass", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, passes.Count);
            var first = passes[0];
            Assert.Equal(LogLevel.Information, first.Level);
            Assert.Equal(report.Removed, first.Field<int>("Removed"));
            Assert.Equal(1, first.Field<int>("Processes"));
            Assert.Equal(2, first.Field<int>("Directories"));
            Assert.Equal(report.Resources.Count(r => r.Resource.Kind == ResourceKind.Cgroup), first.Field<int>("Cgroups"));
            Assert.Equal(0, first.Field<int>("Containers"));
            // Nothing left: the second pass says so, quietly.
            Assert.Empty(again.Resources);
            Assert.Equal((LogLevel.Debug, 0), (passes[1].Level, passes[1].Field<int>("Removed")));
        }
        finally
        {
            await new OrphanReaper(HostOrphanSources.Create(TimeProvider.System), scratch, FixedLiveSandboxes.None).ReapAsync(false, CancellationToken.None);
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string NewId() => $"{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}-1-a1-e1";

    private sealed class NoOutput : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed record Entry(LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> Fields)
    {
        public T Field<T>(string name) => (T)Fields.Single(f => f.Key == name).Value!;
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<Entry> _entries = [];

        public IReadOnlyList<Entry> Entries
        {
            get
            {
                lock (_entries) return _entries.ToList();
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            lock (_entries) _entries.Add(new Entry(logLevel, formatter(state, exception), fields));
        }
    }
}
