using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Agent.Tests;

/// <summary>
/// The agent's lease loop fills every free slot, and never more, with a real server and real sandboxes.
/// </summary>
public sealed class SlotTests
{
    /// <summary>
    /// Each task marks itself started and live, waits until three have started (all three slots are taken at once),
    /// checks that no more than three are live, and leaves.
    /// </summary>
    private const string Script = """
        touch "$1/started/$HEARTH_TASK_ID" "$1/live/$HEARTH_TASK_ID"
        i=0
        until [ "$(ls "$1/started" | wc -l)" -ge 3 ]; do
          i=$((i + 1)); [ "$i" -gt 300 ] && { echo "only $(ls "$1/started" | wc -l) started"; exit 3; }
          sleep 0.05
        done
        live=$(ls "$1/live" | wc -l)
        [ "$live" -le 3 ] || { echo "$live live at once"; exit 4; }
        sleep 0.2
        rm "$1/live/$HEARTH_TASK_ID"
        """;

    [Fact]
    public async Task An_agent_with_three_slots_runs_three_queued_tasks_at_once_and_the_fourth_when_a_slot_frees()
    {
        await using var harness = await AgentHarness.StartAsync();
        var marks = Directory.CreateTempSubdirectory("hearth-slots-").FullName;
        Directory.CreateDirectory(Path.Combine(marks, "started"));
        Directory.CreateDirectory(Path.Combine(marks, "live"));
        try
        {
            var runs = new List<RunView>();
            for (var i = 0; i < 4; i++)
                runs.Add(
                    await harness.CreateRunAsync(
                        new CreateRunBody { Command = ["sh", "-c", Script, "slot", marks], Driver = "process" }
                    )
                );

            harness.StartAgent(harness.Options() with { Capacity = 3 });

            foreach (var run in runs)
            {
                var ended = await harness.WaitEndedAsync(run.Id);
                Assert.True(
                    ended.Status == RunState.Succeeded,
                    $"{run.Id}: {ended.Status} {ended.ExitCode} {string.Join(" | ", await harness.LinesAsync(run.Id))}"
                );
            }
            Assert.Equal(4, Directory.GetFiles(Path.Combine(marks, "started")).Length);
        }
        finally
        {
            Directory.Delete(marks, recursive: true);
        }
    }
}
