using Hearth.Compose.Model;

namespace Hearth.Compose.Loading;

/// <summary>Finds <c>depends_on</c> cycles and words them as Compose does: <c>a -> b -> a</c>.</summary>
public static class DependencyCycles
{
    public sealed record Cycle(string Service, string Text);

    public static IReadOnlyList<Cycle> Find(ComposeProject project)
    {
        var cycles = new List<Cycle>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in project.Services.Keys)
        {
            var cycle = Visit(project, name, [], done);
            if (cycle is not null)
            {
                cycles.Add(new Cycle(cycle[0], "dependency cycle detected: " + string.Join(" -> ", cycle)));
                break;
            }
        }
        return cycles;
    }

    private static List<string>? Visit(ComposeProject project, string name, List<string> stack, HashSet<string> done)
    {
        var at = stack.IndexOf(name);
        if (at >= 0)
            return [.. stack[at..], name];
        if (done.Contains(name) || !project.Services.TryGetValue(name, out var service))
            return null;
        stack.Add(name);
        foreach (var dependency in service.DependsOn.Keys)
        {
            var cycle = Visit(project, dependency, stack, done);
            if (cycle is not null)
                return cycle;
        }
        stack.RemoveAt(stack.Count - 1);
        done.Add(name);
        return null;
    }
}
