using Hearth.Core.Schedules;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows.Tests.Schedules;

/// <summary>The <c>schedule</c> node of a workflow file.</summary>
public sealed class ScheduleNodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-wf-schedule-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<WorkflowLoadResult> LoadAsync(string header)
    {
        var path = Path.Combine(_dir, "w.kdl");
        await File.WriteAllTextAsync(
            path,
            $"version \"0.1\"\n{header}\nchain {{\n    machine \"m\"\n    fragment {{ run \"make\" }}\n}}\n"
        );
        return await new WorkflowLoader(WorkflowLoaderOptions.Default).LoadFileAsync(path);
    }

    [Fact]
    public async Task Schedule_nodes_reach_the_workflow_with_zone_and_missed_policy()
    {
        var result = await LoadAsync(
            "triggers \"push\" \"schedule\"\nschedule \"15 3 * * 1-5\" tz=\"Europe/Berlin\" missed=\"once\"\nschedule cron=\"@every 6h\""
        );

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var schedules = result.Workflow!.Schedules;
        Assert.Equal(2, schedules.Count);
        Assert.Equal(
            ("15 3 * * 1-5", "Europe/Berlin", MissedRunPolicy.Once, 3),
            (schedules[0].Spec, schedules[0].TimeZone, schedules[0].Missed, schedules[0].Location.Line)
        );
        Assert.Equal(
            ("@every 6h", (string?)null, MissedRunPolicy.Skip),
            (schedules[1].Spec, schedules[1].TimeZone, schedules[1].Missed)
        );
    }

    [Fact]
    public async Task A_workflow_without_schedule_nodes_has_none()
    {
        var result = await LoadAsync("triggers \"schedule\"");
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Workflow!.Schedules);
    }

    [Theory]
    [InlineData("triggers \"push\"\nschedule \"@daily\"", ":3:", "'schedule' needs \"schedule\" among the triggers")]
    [InlineData("triggers \"schedule\"\nschedule \"61 * * * *\"", ":3:", "schedule: Minutes field (field 1 of 5) '61'")]
    [InlineData("triggers \"schedule\"\nschedule \"* * *\"", ":3:", "expected 5 fields")]
    [InlineData("triggers \"schedule\"\nschedule", ":3:", "'schedule' needs a cron spec")]
    [InlineData("triggers \"schedule\"\nschedule 5", ":3:", "'schedule' spec must be a string")]
    [InlineData("triggers \"schedule\"\nschedule \"@daily\" \"@hourly\"", ":3:", "'schedule' takes one spec")]
    [InlineData(
        "triggers \"schedule\"\nschedule \"@daily\" missed=\"all\"",
        ":3:",
        "missed=\"all\" is not a policy; expected \"skip\" or \"once\""
    )]
    [InlineData(
        "triggers \"schedule\"\nschedule \"@daily\" tz=\"Mars/Base\"",
        ":3:",
        "tz=: time zone 'Mars/Base': expected an IANA time zone"
    )]
    [InlineData("triggers \"schedule\"\nschedule \"TZ=UTC @daily\" tz=\"UTC\"", ":3:", "give the zone once")]
    [InlineData("triggers \"schedule\"\nschedule \"@every 1h\" tz=\"UTC\"", ":3:", "tz= has no meaning for @every")]
    [InlineData("triggers \"schedule\"\nschedule \"@daily\" at=\"9\"", ":3:", "unknown property 'at='")]
    public async Task Bad_schedule_nodes_are_errors_at_their_line(string header, string line, string message)
    {
        var result = await LoadAsync(header);

        Assert.False(result.Succeeded);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Message.Contains(message, StringComparison.Ordinal));
        Assert.Contains(line, diagnostic.ToString(), StringComparison.Ordinal);
    }
}
