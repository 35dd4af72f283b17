using System.Collections.Immutable;
using Hearth.Compose.Model;

namespace Hearth.Compose.Planning;

/// <summary>
/// Pure start planning: a service's wave is one more than the latest wave of what it depends on; within a wave,
/// services are ordered by name so the plan is deterministic. The loader has already refused cycles.
/// </summary>
public static class StartPlanner
{
    public static StartPlan Plan(ComposeProject project)
    {
        var waves = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in project.Services.Keys)
            WaveOf(project, name, waves, []);
        var steps = project
            .Services.Values.Select(s => new StartStep(
                s.Name,
                waves[s.Name],
                [
                    .. s
                        .DependsOn.Where(d => project.Services.ContainsKey(d.Key))
                        .Select(d => new Readiness(d.Key, d.Value.Condition, d.Value.Restart)),
                ]
            ))
            .OrderBy(s => s.Wave)
            .ThenBy(s => s.Service, StringComparer.Ordinal);
        return new StartPlan([.. steps]);
    }

    private static int WaveOf(
        ComposeProject project,
        string name,
        Dictionary<string, int> waves,
        HashSet<string> visiting
    )
    {
        if (waves.TryGetValue(name, out var known))
            return known;
        if (!project.Services.TryGetValue(name, out var service) || !visiting.Add(name))
            throw new InvalidOperationException(
                $"service \"{name}\" is part of a dependency cycle or undefined; load the project with consistency checks"
            );
        var wave = service
            .DependsOn.Keys.Where(project.Services.ContainsKey)
            .Select(d => WaveOf(project, d, waves, visiting) + 1)
            .DefaultIfEmpty(0)
            .Max();
        visiting.Remove(name);
        waves[name] = wave;
        return wave;
    }
}
