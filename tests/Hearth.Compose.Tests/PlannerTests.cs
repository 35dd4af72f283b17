using Hearth.Compose.Model;
using Hearth.Compose.Planning;

namespace Hearth.Compose.Tests;

public class PlannerTests
{
    [Fact]
    public void Services_start_after_their_dependencies_and_wait_for_their_conditions()
    {
        var project = FixtureTests.Load("docker-compose/restart-test/compose-depends-on.yaml").Project!;
        var plan = StartPlanner.Plan(project);
        Assert.Equal(["nginx", "no-restart", "with-restart"], plan.Steps.Select(s => s.Service));
        Assert.Equal([0, 1, 1], plan.Steps.Select(s => s.Wave));
        var withRestart = plan.Steps.Single(s => s.Service == "with-restart");
        Assert.Equal(
            new Readiness("nginx", DependencyCondition.ServiceHealthy, true),
            Assert.Single(withRestart.WaitsFor)
        );
        Assert.Equal(["with-restart", "no-restart", "nginx"], plan.StopOrder);
    }

    [Fact]
    public void Chains_get_increasing_waves()
    {
        var plan = StartPlanner.Plan(
            InMemory.Project(
                """
                services:
                  web: {image: w, depends_on: {api: {condition: service_healthy}}}
                  api: {image: a, depends_on: [db]}
                  db: {image: d}
                  migrate: {image: m, depends_on: {db: {condition: service_completed_successfully}}}
                """
            )
        );
        Assert.Equal(["db", "api", "migrate", "web"], plan.Steps.Select(s => s.Service));
        Assert.Equal([0, 1, 1, 2], plan.Steps.Select(s => s.Wave));
        Assert.Equal(DependencyCondition.ServiceStarted, plan.Steps[1].WaitsFor.Single().Condition);
    }

    [Fact]
    public void Optional_dependency_on_a_disabled_service_is_dropped()
    {
        var project = FixtureTests.Load("docker-compose/TestUpWithDependencyNotRequired/compose.yaml").Project!;
        var step = Assert.Single(StartPlanner.Plan(project).Steps);
        Assert.Equal("foo", step.Service);
        Assert.Empty(step.WaitsFor);
        Assert.True(project.DisabledServices.ContainsKey("bar"));
    }
}
