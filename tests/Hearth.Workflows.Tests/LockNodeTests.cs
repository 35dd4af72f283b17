using Hearth.Workflows.Execution;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows.Tests;

public sealed class LockNodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-wf-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<WorkflowLoadResult> LoadAsync(string text)
    {
        var path = Path.Combine(_dir, "w.kdl");
        await File.WriteAllTextAsync(path, text);
        return await new WorkflowLoader(WorkflowLoaderOptions.Default).LoadFileAsync(path);
    }

    [Fact]
    public async Task A_fragment_lock_reaches_the_plan()
    {
        var result = await LoadAsync(
            "version \"0.1\"\ntriggers \"manual\"\nchain {\n    machine \"m\"\n    fragment { run \"./deploy\"; lock \"deploy-prod\" }\n    fragment { run \"echo done\" }\n}\n"
        );
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var plan = WorkflowPlanner.Plan(result.Workflow!, new Dictionary<string, string>());
        Assert.Equal("deploy-prod", plan.Steps.Single(s => s.Id == "0").Lock);
        Assert.Null(plan.Steps.Single(s => s.Id == "1").Lock);
        Assert.Empty(PlanValidator.Validate(plan));
    }

    [Fact]
    public async Task Fragment_secrets_reach_the_plan_and_bad_names_are_refused()
    {
        var ok = await LoadAsync(
            "version \"0.1\"\ntriggers \"manual\"\nchain {\n    machine \"m\"\n    fragment { run \"./deploy\"; secrets \"deploy-key\" \"db.pass\" }\n}\n"
        );
        Assert.True(ok.Succeeded, string.Join("\n", ok.Diagnostics));
        var plan = WorkflowPlanner.Plan(
            ok.Workflow!,
            new Dictionary<string, string>(),
            repository: "https://git.example.com/team/app"
        );
        Assert.Equal(["deploy-key", "db.pass"], plan.Steps.Single().Secrets);
        Assert.Equal("https://git.example.com/team/app", plan.Repository);

        var bad = await LoadAsync(
            "version \"0.1\"\ntriggers \"manual\"\nchain {\n    machine \"m\"\n    fragment { run \"x\"; secrets \"no spaces\" }\n}\n"
        );
        Assert.Contains(bad.Diagnostics, d =>
            d.Message.Contains("is not a secret name") && d.ToString().Contains(":5:")
        );
    }

    [Theory]
    [InlineData("fragment { run \"x\"; lock \"bad name\" }", "5:", "is not a lock name")]
    [InlineData(
        "fragment { from \"other.kdl\"; lock \"deploy\" }",
        "5:",
        "'lock' applies to a fragment that runs a script"
    )]
    public async Task Bad_locks_are_refused_where_they_are_written(string fragment, string line, string message)
    {
        var result = await LoadAsync(
            $"version \"0.1\"\ntriggers \"manual\"\nchain {{\n    machine \"m\"\n    {fragment}\n}}\n"
        );
        Assert.False(result.Succeeded);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Message.Contains(message));
        Assert.Contains($":{line}", diagnostic.ToString());
    }
}
