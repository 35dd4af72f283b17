using Hearth.Workflows.Execution;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows.Tests;

/// <summary>
/// `attempts` (chain or fragment) and `retry-on-exit` (fragment): how a step survives a lost agent, written in the
/// file.
/// </summary>
public sealed class AttemptsNodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-wf-attempts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<WorkflowLoadResult> LoadAsync(string chainBody)
    {
        var path = Path.Combine(_dir, "w.kdl");
        await File.WriteAllTextAsync(
            path,
            $"version \"0.1\"\ntriggers \"manual\"\nchain {{\n    machine \"m\"\n{chainBody}\n}}\n"
        );
        return await new WorkflowLoader(WorkflowLoaderOptions.Default).LoadFileAsync(path);
    }

    [Fact]
    public async Task A_step_s_attempts_win_over_the_chain_s_and_unset_ones_are_left_to_the_server()
    {
        var chained = await LoadAsync(
            "    attempts 2\n    fragment { run \"a\" }\n    fragment { run \"b\"; attempts 5; retry-on-exit 75 1 75 }\n"
        );
        Assert.True(chained.Succeeded, string.Join("\n", chained.Diagnostics));
        var plan = WorkflowPlanner.Plan(chained.Workflow!, new Dictionary<string, string>());
        Assert.Equal(2, plan.Steps.Single(s => s.Id == "0").MaxAttempts);
        Assert.Equal(5, plan.Steps.Single(s => s.Id == "1").MaxAttempts);
        Assert.Null(plan.Steps.Single(s => s.Id == "0").RetryExitCodes);
        Assert.Equal([1, 75], plan.Steps.Single(s => s.Id == "1").RetryExitCodes);
        Assert.Empty(PlanValidator.Validate(plan));

        var plain = await LoadAsync("    parallel {\n        fragment { run \"a\" }\n    }\n");
        Assert.True(plain.Succeeded, string.Join("\n", plain.Diagnostics));
        Assert.All(WorkflowPlanner.Plan(plain.Workflow!, new Dictionary<string, string>()).Steps, s =>
            Assert.Null(s.MaxAttempts)
        );
    }

    [Theory]
    [InlineData(
        "    attempts 0\n    fragment { run \"a\" }",
        ":5:14",
        "'attempts' must be a whole number from 1 (never retried) to 100; found 0"
    )]
    [InlineData("    fragment { run \"a\"; attempts \"3\" }", ":5:", "'attempts' must be a whole number")]
    [InlineData("    fragment { run \"a\"; attempts 101 }", ":5:", "found 101")]
    [InlineData("    fragment { run \"a\"; attempts 2 3 }", ":5:", "'attempts' takes one whole number")]
    [InlineData(
        "    fragment { run \"a\"; retry-on-exit 0 }",
        ":5:",
        "'retry-on-exit' takes failing exit codes (whole numbers 1 to 255); found 0"
    )]
    [InlineData("    fragment { run \"a\"; retry-on-exit }", ":5:", "'retry-on-exit' needs at least one exit code")]
    [InlineData(
        "    fragment { from \"other.kdl\"; attempts 2 }",
        ":5:",
        "'attempts' applies to a fragment that runs a script"
    )]
    [InlineData(
        "    attempts 2\n    attempts 3\n    fragment { run \"a\" }",
        ":6:",
        "'attempts' is given twice (first at line 5)"
    )]
    public async Task Bad_attempts_are_refused_where_they_are_written(string chainBody, string at, string message)
    {
        var result = await LoadAsync(chainBody);
        Assert.False(result.Succeeded);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Message.Contains(message));
        Assert.Contains(at, diagnostic.ToString());
    }
}
