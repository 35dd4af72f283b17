using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Server.Logs;

namespace Hearth.Server.Tests.Logs;

/// <summary>A page written line by line is, byte for byte, the page the one JSON shape gives for the view.</summary>
public sealed class LogPageWriterTests
{
    private static Run Run(RunState state, int? exitCode) =>
        new()
        {
            Id = "r1",
            Kind = "command",
            State = state,
            CreatedAt = DateTimeOffset.UnixEpoch,
            Spec = new TaskSpec { Command = ["true"] },
            ExitCode = exitCode,
        };

    public static TheoryData<RunState, int?, bool> Pages =>
        new()
        {
            { RunState.Succeeded, 0, true },
            { RunState.Running, null, false },
            { RunState.Failed, 137, true },
        };

    [Theory]
    [MemberData(nameof(Pages))]
    public void The_written_page_is_the_view_s_json(RunState state, int? exitCode, bool complete)
    {
        var run = Run(state, exitCode);
        var lines = new List<LogLineView>
        {
            new(7, new DateTimeOffset(2026, 12, 6, 4, 35, 5, 123, TimeSpan.Zero), LogStream.Stdout, "plain"),
            new(
                8,
                new DateTimeOffset(2026, 12, 6, 4, 35, 5, 0, TimeSpan.Zero),
                LogStream.Stderr,
                "quotes \" and \\ and <tags> & 'apostrophes'",
                "1.0"
            ),
            new(
                9,
                DateTimeOffset.UnixEpoch.AddTicks(1234567),
                LogStream.System,
                "ünïcödé ✓ \u0001\t\u001b[31mred\u001b[0m",
                "2"
            ),
            new(10, DateTimeOffset.UnixEpoch, LogStream.Stdout, ""),
        };

        using var page = new LogPageWriter(run, lines.Count);
        foreach (var line in lines)
            page.Write(line.Seq, line.Time, line.Stream, line.Text, line.Step);
        var json = Encoding.UTF8.GetString(page.Finish(11, complete, run.ExitCode).Span);

        Assert.Equal(HearthJson.Serialize(new LogPageView(run.Id, state, lines, 11, complete, exitCode)), json);
    }

    [Fact]
    public void An_empty_page_is_the_view_s_json()
    {
        var run = Run(RunState.Starting, null);
        using var page = new LogPageWriter(run, 1000);

        var json = Encoding.UTF8.GetString(page.Finish(0, false, null).Span);

        Assert.Equal(HearthJson.Serialize(new LogPageView("r1", RunState.Starting, [], 0, false, null)), json);
    }

    [Fact]
    public void A_page_larger_than_its_first_buffer_keeps_every_line()
    {
        var run = Run(RunState.Succeeded, 0);
        var lines = Enumerable
            .Range(0, 5000)
            .Select(i => new LogLineView(
                i,
                DateTimeOffset.UnixEpoch.AddSeconds(i),
                LogStream.Stdout,
                new string('x', i % 300)
            ))
            .ToList();
        using var page = new LogPageWriter(run, 16);
        foreach (var line in lines)
            page.Write(line.Seq, line.Time, line.Stream, line.Text, line.Step);

        var json = Encoding.UTF8.GetString(page.Finish(5000, true, 0).Span);

        Assert.Equal(HearthJson.Serialize(new LogPageView(run.Id, run.State, lines, 5000, true, 0)), json);
    }
}
