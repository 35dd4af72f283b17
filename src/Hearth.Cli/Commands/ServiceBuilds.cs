using Hearth.Cli.Client;
using Hearth.Compose.Deployment;
using Hearth.Core.Api;
using Hearth.Core.Builds;
using Hearth.Core.Runs;

namespace Hearth.Cli.Commands;

/// <summary>
/// The builds of <c>hearth up</c>: each <c>build:</c> service's image is built by the cluster (POST /api/v1/builds, a
/// run on an agent with the buildah driver) and pushed to the project's registry, all at once; their output is printed
/// on stderr (<c>build web | …</c>). Returns the images by service once every build has succeeded.
/// </summary>
public static class ServiceBuilds
{
    public static async Task<IReadOnlyDictionary<string, string>> RunAsync(
        HearthClient client,
        IReadOnlyList<ServiceBuild> builds,
        CancellationToken ct
    )
    {
        if (builds.Count == 0)
            return new Dictionary<string, string>();
        var width = builds.Max(b => b.Service.Length);
        var gate = new Lock();
        var runs = new List<(ServiceBuild Build, RunView Run)>();
        foreach (var build in builds)
        {
            var run = await client.SendJsonAsync<RunView>(
                HttpMethod.Post,
                "api/v1/builds",
                new CreateBuildBody(
                    build.Image,
                    build.Dockerfile,
                    Convert.ToBase64String(build.Context.Compressed),
                    new Dictionary<string, string>(build.Args),
                    build.Target,
                    build.Service
                ),
                ct
            );
            Console.Error.WriteLine(
                $"hearth: building {build.Service} as {build.Image} ({build.Context.Files} file(s), "
                    + $"{build.Context.Compressed.Length} bytes of context) in run {run.Id}"
            );
            runs.Add((build, run));
        }
        var ended = await Task.WhenAll(
            runs.Select(async r =>
            {
                var prefix = $"build {r.Build.Service.PadRight(width)} | ";
                await foreach (var e in client.FollowAsync(r.Run.Id, 0, ct))
                {
                    if (e.Line is { } line)
                        lock (gate)
                            Console.Error.WriteLine(prefix + line.Text);
                }
                return (r.Build, Run: await client.GetRunAsync(r.Run.Id, ct));
            })
        );
        var failed = ended.Where(e => e.Run.Status != RunState.Succeeded).ToList();
        if (failed.Count > 0)
            throw new CliException(
                string.Join(
                    "\n",
                    failed.Select(f =>
                        $"build of service {f.Build.Service} failed ({Describe(f.Run)}): see `hearth logs {f.Run.Id}`"
                    )
                )
            );
        foreach (var (build, _) in ended)
            Console.Error.WriteLine($"hearth: built {build.Service}: {build.Image}");
        return ended.ToDictionary(e => e.Build.Service, e => e.Build.Image, StringComparer.Ordinal);
    }

    private static string Describe(RunView run) =>
        run.ExitCode is { } code ? $"exit {code}" : run.Reason ?? run.Status.ToString().ToLowerInvariant();
}
