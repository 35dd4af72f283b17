using Hearth.Cli.Client;
using Hearth.Core.Services;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>hearth logs -p PROJECT [SERVICE|REPLICA…]</c>: the logs of a project's replicas, each line prefixed with its
/// replica's name as compose does (<c>api-2 | …</c>). Told apart from <c>hearth logs RUN</c> by the project option,
/// never by the argument's shape.
/// </summary>
public static class ServiceLogs
{
    public static async Task<int> PrintAsync(
        HearthClient client,
        string project,
        IReadOnlyList<string> names,
        bool follow,
        long from,
        CancellationToken ct
    )
    {
        var view = await client.SendJsonAsync<ProjectView>(HttpMethod.Get, ServiceCommands.Path(project), null, ct);
        var unknown = names.FirstOrDefault(n => view.Replicas.All(r => r.Service != n && r.Name != n));
        if (unknown is not null)
            throw new CliException($"project {project} has no service or replica '{unknown}'", 2);
        bool Selected(ReplicaView r) => names.Count == 0 || names.Contains(r.Service) || names.Contains(r.Name);
        if (follow)
            return await ServiceCommands.FollowLogsAsync(client, project, ct, Selected, from);
        var replicas = view.Replicas.Where(r => r.RunId is not null && Selected(r)).ToList();
        var width = replicas.Select(r => r.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var replica in replicas)
        {
            var next = from;
            while (true)
            {
                var page = await client.LogPageAsync(replica.RunId!, next, ct);
                foreach (var line in page.Lines)
                    Console.Out.WriteLine($"{replica.Name.PadRight(width)} | {line.Text}");
                if (page.Lines.Count == 0 || page.Complete)
                    break;
                next = page.Next;
            }
        }
        return 0;
    }
}
