using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>Reading a log into a sink: the same lines, numbers and steps as the list, without holding them.</summary>
public abstract partial class RunStoreConformance
{
    private sealed class CollectingSink : ILogLineSink
    {
        public List<(long Seq, DateTimeOffset Time, LogStream Stream, string Text, string? Step)> Lines { get; } = [];

        public void Write(long seq, DateTimeOffset time, LogStream stream, string text, string? step) =>
            Lines.Add((seq, time, stream, text, step));
    }

    [Fact]
    public async Task A_page_read_into_a_sink_has_the_lines_of_the_list_with_their_steps()
    {
        var run = await CreateWorkflowAsync();
        var zero = (await ClaimStepAsync("agent-a"))!;
        await RunningAsync(zero);
        await Store.AppendLogsAsync(zero.TaskId, zero.Epoch, 0, Lines("a", "b", "c"), CancellationToken.None);
        await Store.CompleteAsync(zero.TaskId, zero.Epoch, new TaskResult(0), Time.GetUtcNow(), CancellationToken.None);
        var one = (await ClaimStepAsync("agent-b"))!;
        await RunningAsync(one);
        await Store.AppendLogsAsync(one.TaskId, one.Epoch, 0, Lines("d", "e"), CancellationToken.None);

        foreach (
            var (from, limit, tasks) in new (long, int, IReadOnlyCollection<string>?)[]
            {
                (0, 100, null),
                (1, 3, null),
                (0, 100, [one.TaskId]),
                (4, 100, [zero.TaskId]),
            }
        )
        {
            var sink = new CollectingSink();
            var read = await Store.ReadLogsAsync(run.Id, tasks, from, limit, sink, CancellationToken.None);
            var list = await Store.ReadLogsAsync(run.Id, tasks, from, limit, CancellationToken.None);

            Assert.Equal(list.Select(l => (l.Seq, l.Time, l.Stream, l.Text, l.Step)), sink.Lines);
            Assert.Equal(list.Count, read.Count);
            Assert.Equal(list.Count > 0 ? list[^1].Seq : -1, read.LastSeq);
        }
        var all = new CollectingSink();
        await Store.ReadLogsAsync(run.Id, null, 0, 100, all, CancellationToken.None);
        Assert.Equal(["a", "b", "c", "d", "e"], all.Lines.Where(l => l.Stream != LogStream.System).Select(l => l.Text));
        Assert.Equal(["0", "0", "0"], all.Lines.Where(l => l.Text is "a" or "b" or "c").Select(l => l.Step));
        var oneStep = (await GetAsync(run.Id)).Tasks.Single(t => t.Id == one.TaskId).Name;
        Assert.StartsWith("1.", oneStep);
        Assert.Equal([oneStep, oneStep], all.Lines.Where(l => l.Text is "d" or "e").Select(l => l.Step));
    }

    [Fact]
    public async Task A_command_s_page_read_into_a_sink_names_no_step()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);
        await Store.AppendLogsAsync(lease.TaskId, lease.Epoch, 0, Lines("x", "y"), CancellationToken.None);

        var sink = new CollectingSink();
        var read = await Store.ReadLogsAsync(run.Id, null, 0, 10, sink, CancellationToken.None);

        Assert.Equal(new LogPageRead(2, 1), read);
        Assert.Equal([("x", (string?)null), ("y", null)], sink.Lines.Select(l => (l.Text, l.Step)));
    }
}
