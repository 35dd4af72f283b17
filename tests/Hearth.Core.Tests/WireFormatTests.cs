using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Core.Tests;

/// <summary>
/// The JSON clients see: snake_case fields, states as TIMED_OUT, durations as seconds, nulls left out.
/// </summary>
public sealed class WireFormatTests
{
    [Fact]
    public void A_run_view_has_the_documented_shape()
    {
        var view = new RunView
        {
            Id = "abc",
            Kind = "command",
            Status = RunState.TimedOut,
            Command = ["sleep", "9"],
            CreatedAt = DateTimeOffset.Parse("2026-11-24T08:00:00Z"),
            TimeoutSeconds = 1.5,
            LogLines = 3,
        };
        var json = JsonDocument.Parse(JsonSerializer.Serialize(view, HearthJson.Options)).RootElement;
        Assert.Equal("TIMED_OUT", json.GetProperty("status").GetString());
        Assert.Equal(1.5, json.GetProperty("timeout_seconds").GetDouble());
        Assert.Equal(3, json.GetProperty("log_lines").GetInt64());
        Assert.False(json.TryGetProperty("exit_code", out _));
        Assert.False(json.TryGetProperty("ExitCode", out _));
    }

    [Fact]
    public void A_task_spec_round_trips_with_durations_as_seconds_and_keys_untouched()
    {
        var spec = new TaskSpec
        {
            Command = ["make"],
            Env = new Dictionary<string, string> { ["MY_VAR"] = "1" },
            Timeout = TimeSpan.FromSeconds(90),
            Requirements = new Dictionary<string, string> { ["machine"] = "build" },
        };
        var text = JsonSerializer.Serialize(spec, HearthJson.Options);
        Assert.Contains("\"timeout\":90", text);
        Assert.Contains("\"MY_VAR\":\"1\"", text);
        var back = JsonSerializer.Deserialize<TaskSpec>(text, HearthJson.Options)!;
        Assert.Equal(spec.Timeout, back.Timeout);
        Assert.Equal("build", back.Requirements["machine"]);
    }

    [Fact]
    public void Stop_reasons_and_log_streams_read_as_written()
    {
        var heartbeat = JsonSerializer.Deserialize<HeartbeatView>("{\"stop\":\"TIMED_OUT\"}", HearthJson.Options)!;
        Assert.Equal(StopReason.TimedOut, heartbeat.Stop);
        var line = JsonSerializer.Serialize(
            new LogLineView(4, DateTimeOffset.UnixEpoch, Logs.LogStream.Stderr, "x"),
            HearthJson.Options
        );
        Assert.Contains("\"stream\":\"STDERR\"", line);
    }
}
