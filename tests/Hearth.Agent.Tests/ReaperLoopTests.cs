using System.Security.Cryptography;
using Hearth.Sandbox;
using Hearth.Sandbox.Reaping;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Tests;

/// <summary>
/// The agent's reaper reports each pass as one structured line with its counts per kind, and counts them in its
/// metrics.
/// </summary>
public sealed class ReaperLoopTests
{
    [Fact]
    public async Task A_pass_logs_one_line_with_what_it_removed_per_kind()
    {
        var scratch = Directory.CreateTempSubdirectory("hearth-reaper-loop-").FullName;
        var logger = new RecordingLogger();
        using var metrics = new Hearth.Agent.Telemetry.AgentMetrics();
        var reaped = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (
                ReferenceEquals(instrument.Meter, metrics.Meter)
                && instrument.Name.StartsWith("hearth_agent_orphans", StringComparison.Ordinal)
            )
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>(
            (instrument, value, tags, _) =>
            {
                var kind = tags.ToArray().FirstOrDefault(t => t.Key == "kind").Value as string;
                reaped.AddOrUpdate($"{instrument.Name}:{kind}", value, (_, sum) => sum + value);
            }
        );
        listener.Start();
        try
        {
            // Real orphans of a dead agent: a process-driver command in its cgroups and a scratch directory with
            // nothing else.
            var orphan = NewId();
            await AgentHarness
                .Driver("process")
                .StartAsync(
                    new SandboxSpec
                    {
                        SandboxId = orphan,
                        Command = ["sleep", "600"],
                        ScratchRoot = scratch,
                    },
                    new NoOutput(),
                    CancellationToken.None
                );
            Directory.CreateDirectory(Path.Combine(scratch, NewId()));
            var loop = new ReaperLoop(
                new OrphanReaper(HostOrphanSources.Create(TimeProvider.System), scratch, FixedLiveSandboxes.None),
                TimeSpan.Zero,
                TimeProvider.System,
                logger,
                metrics
            );

            var report = await loop.ReapOnceAsync(CancellationToken.None);
            var again = await loop.ReapOnceAsync(CancellationToken.None);

            Assert.Equal(0, report.Failed);
            var passes = logger
                .Entries.Where(e => e.Message.StartsWith("orphan reaper pass", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(2, passes.Count);
            var first = passes[0];
            Assert.Equal(LogLevel.Information, first.Level);
            Assert.Equal(report.Removed, first.Field<int>("Removed"));
            Assert.Equal(1, first.Field<int>("Processes"));
            Assert.Equal(2, first.Field<int>("Directories"));
            Assert.Equal(
                report.Resources.Count(r => r.Resource.Kind == ResourceKind.Cgroup),
                first.Field<int>("Cgroups")
            );
            Assert.Equal(0, first.Field<int>("Containers"));
            // Nothing left: the second pass says so, quietly.
            Assert.Empty(again.Resources);
            Assert.Equal((LogLevel.Debug, 0), (passes[1].Level, passes[1].Field<int>("Removed")));
            // The agent's /metrics counts the same, once: hearth_agent_orphans_reaped_total by kind.
            Assert.Equal(1, reaped.GetValueOrDefault("hearth_agent_orphans_reaped_total:process"));
            Assert.Equal(2, reaped.GetValueOrDefault("hearth_agent_orphans_reaped_total:directory"));
            Assert.Equal(
                report.Resources.Count(r => r.Resource.Kind == ResourceKind.Cgroup),
                reaped.GetValueOrDefault("hearth_agent_orphans_reaped_total:cgroup")
            );
            Assert.Equal(
                report.Removed,
                reaped
                    .Where(r => r.Key.StartsWith("hearth_agent_orphans_reaped_total:", StringComparison.Ordinal))
                    .Sum(r => r.Value)
            );
            Assert.False(reaped.ContainsKey("hearth_agent_orphans_failed_total:"));
        }
        finally
        {
            await new OrphanReaper(
                HostOrphanSources.Create(TimeProvider.System),
                scratch,
                FixedLiveSandboxes.None
            ).ReapAsync(false, CancellationToken.None);
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string NewId() => $"{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}-1-a1-e1";

    private sealed class NoOutput : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;
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
                lock (_entries)
                    return _entries.ToList();
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter
        )
        {
            var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            lock (_entries)
                _entries.Add(new Entry(logLevel, formatter(state, exception), fields));
        }
    }
}
