using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Server.Logs;

namespace Hearth.Server.Tests.Logs;

/// <summary>
/// Lines written as Server-Sent Events straight from the store: the events a follower has always read.
/// </summary>
public sealed class LogEventWriterTests
{
    private static string Event(LogLineView line) =>
        $"id: {line.Seq}\nevent: line\ndata: {HearthJson.Serialize(line)}\n\n";

    [Fact]
    public void Each_line_is_one_event_with_its_number_as_id_and_its_view_as_data()
    {
        LogLineView[] lines =
        [
            new(0, DateTimeOffset.UnixEpoch, LogStream.Stdout, "first"),
            new(
                1234567890123,
                new DateTimeOffset(2026, 12, 6, 5, 0, 0, 7, TimeSpan.Zero),
                LogStream.Stderr,
                "\"quoted\" ü\n",
                "1.0"
            ),
            new(1234567890124, DateTimeOffset.UnixEpoch, LogStream.System, "hearth: stopped", "1.0"),
        ];
        using var events = new LogEventWriter();

        foreach (var line in lines)
            events.Write(line.Seq, line.Time, line.Stream, line.Text, line.Step);

        Assert.Equal(string.Concat(lines.Select(Event)), Encoding.UTF8.GetString(events.Written.Span));
    }

    [Fact]
    public void After_clear_only_the_next_lines_are_written()
    {
        using var events = new LogEventWriter();
        for (var i = 0; i < 2000; i++)
            events.Write(i, DateTimeOffset.UnixEpoch, LogStream.Stdout, new string('x', 100), null);

        events.Clear();
        events.Write(2000, DateTimeOffset.UnixEpoch, LogStream.Stdout, "after", null);

        Assert.Equal(
            Event(new LogLineView(2000, DateTimeOffset.UnixEpoch, LogStream.Stdout, "after")),
            Encoding.UTF8.GetString(events.Written.Span)
        );
    }
}
