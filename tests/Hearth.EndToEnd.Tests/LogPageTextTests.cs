using System.Text;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// `hearth logs` prints a page straight from its JSON bytes: the same text as from the page's objects.
/// </summary>
public sealed class LogPageTextTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 4, 35, 5, 123, TimeSpan.Zero);

    private static (string Out, string Err, LogPageEnd End) Print(
        LogPageView view,
        bool prefixSteps = true,
        string? onlyStep = null
    )
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        LogPageEnd end;
        using (var printer = new LogPrinter(OutputFormat.Text, stdout, stderr, prefixSteps, onlyStep))
            end = LogPageText.Print(Encoding.UTF8.GetBytes(HearthJson.Serialize(view)), printer);
        return (Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()), end);
    }

    [Fact]
    public void Lines_go_to_their_stream_with_escapes_undone_and_steps_prefixed()
    {
        var view = new LogPageView(
            "r1",
            RunState.Succeeded,
            [
                new(0, At, LogStream.Stdout, "plain"),
                new(
                    1,
                    At,
                    LogStream.Stdout,
                    "quotes \" and \\ and <b>&amp;</b> ünïcödé ✓\ttab \u001b[31mred\u001b[0m",
                    "1.0"
                ),
                new(2, At, LogStream.Stderr, "to stderr", "1.0"),
                new(3, At, LogStream.System, "hearth: retrying", "1.1"),
                new(4, At, LogStream.Stdout, "", "2"),
            ],
            5,
            true,
            0
        );

        var (stdout, stderr, end) = Print(view);

        Assert.Equal(
            "plain\n[1.0] quotes \" and \\ and <b>&amp;</b> ünïcödé ✓\ttab \u001b[31mred\u001b[0m\n[2] \n",
            stdout
        );
        Assert.Equal("[1.0] to stderr\n[1.1] hearth: retrying\n", stderr);
        Assert.Equal(new LogPageEnd(5, 5, true), end);
    }

    [Fact]
    public void The_step_asked_for_is_not_prefixed_and_an_empty_page_prints_nothing()
    {
        var view = new LogPageView(
            "r1",
            RunState.Running,
            [new(7, At, LogStream.Stdout, "own", "3.0")],
            8,
            false,
            null
        );
        Assert.Equal(("own\n", "", new LogPageEnd(1, 8, false)), Print(view, onlyStep: "3.0"));

        var empty = new LogPageView("r1", RunState.Running, [], 12, false, null);
        Assert.Equal(("", "", new LogPageEnd(0, 12, false)), Print(empty));
    }

    [Fact]
    public void A_page_that_is_not_a_log_page_is_a_clear_error()
    {
        using var printer = new LogPrinter(OutputFormat.Text, new MemoryStream(), new MemoryStream());

        var error = Assert.Throws<CliException>(() => LogPageText.Print("{\"lines\": [{\"seq\": \"x\""u8, printer));

        Assert.Contains("log page is not the JSON this CLI reads", error.Message);
    }
}
