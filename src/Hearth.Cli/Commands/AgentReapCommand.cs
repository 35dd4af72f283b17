using System.CommandLine;
using System.Text.Json;
using Hearth.Cli.Client;
using Hearth.Sandbox.Oci.Reaping;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Reaping;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>hearth agent reap</c>: the agent's orphan reaper, by hand, for a scratch directory no agent is running on. Exit
/// 0: nothing is left (nothing found, or all of it removed); 3: a dry run found orphans; 1: something could not be
/// removed or looked at, or an agent runs on that scratch directory.
/// </summary>
public static class AgentReapCommand
{
    public const int OrphansFound = 3;

    public static Command Create()
    {
        var scratch = new Option<string?>("--scratch")
        {
            Description = "The agent's scratch directory (default: as hearth agent's)",
        };
        var images = new Option<string?>("--images")
        {
            Description = "The agent's OCI image store (default: as hearth agent's)",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing" };
        var all = new Option<bool>("--all")
        {
            Description = "Also what other agents left whose agent is not running, and what no agent can be found for",
        };
        var bridgePrefix = AgentCommand.ServiceBridgePrefixOption();
        var command = new Command(
            "reap",
            "Remove what sandboxes of a stopped agent left on this host (processes, containers, mounts, "
                + "cgroups, network namespaces, veths, nftables elements, directories)"
        )
        {
            scratch,
            images,
            dryRun,
            all,
            bridgePrefix,
        };
        command.SetAction(
            async (result, cancellationToken) =>
            {
                var root = SandboxOwner.Normalize(result.GetValue(scratch) ?? AgentCommand.DefaultScratchRoot());
                var imageStore = result.GetValue(images) ?? Images.LocalImages.DefaultRoot();
                var dry = result.GetValue(dryRun);
                // Held while reaping: an agent starting meanwhile on the same directory waits for nothing and is
                // refused.
                using var owner = Directory.Exists(root)
                    ? SandboxOwner.TryClaim(root)
                        ?? throw new CliException(
                            $"an agent (pid {SandboxOwner.Holder(root)}) is running on {root}: it reaps its own orphans "
                                + "(at start and every --reap-interval); stop it to reap by hand"
                        )
                    : null;
                var sources = AgentCommand.OrphanSources(
                    imageStore,
                    AgentCommand.ParseBridgePrefix(result.GetValue(bridgePrefix)!)
                );
                var reaper = new OrphanReaper(sources, root, FixedLiveSandboxes.None, result.GetValue(all));
                var report = await reaper.ReapAsync(dry, cancellationToken);

                var view = ReapReportView.From(report, dry);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else if (view.Resources.Count > 0)
                    Output.Table(
                        ["KIND", "NAME", "SANDBOX", "OUTCOME"],
                        view.Resources.Select(r =>
                            (IReadOnlyList<string>)
                                [r.Kind, r.Name, r.SandboxId, r.Error is null ? r.Outcome : $"{r.Outcome}: {r.Error}"]
                        )
                    );
                foreach (var error in report.Errors)
                    Console.Error.WriteLine($"hearth: could not look everywhere: {error}");
                Console.Error.WriteLine(
                    dry
                        ? $"hearth: {report.Found} orphaned resource(s) found in {root} (dry run: nothing removed)"
                        : $"hearth: {report.Removed} orphaned resource(s) removed, {report.Failed} could not be, for {root}"
                );
                if (report.Failed > 0 || report.Errors.Count > 0)
                    return 1;
                return dry && report.Found > 0 ? OrphansFound : 0;
            }
        );
        return command;
    }
}

/// <summary>One orphan as <c>hearth agent reap -o json</c> prints it.</summary>
public sealed record ReapedResourceView(
    string Kind,
    string Name,
    string SandboxId,
    string? Owner,
    string Outcome,
    string? Error
);

/// <summary><c>hearth agent reap -o json</c>: the orphans under a named list, and the counts.</summary>
public sealed record ReapReportView(
    bool DryRun,
    IReadOnlyList<ReapedResourceView> Resources,
    int Found,
    int Removed,
    int Failed,
    IReadOnlyList<string> Errors
)
{
    public static ReapReportView From(ReapReport report, bool dryRun) =>
        new(
            dryRun,
            report
                .Resources.Select(r => new ReapedResourceView(
                    Snake(r.Resource.Kind.ToString()),
                    r.Resource.Name,
                    r.Resource.SandboxId,
                    r.Resource.Owner,
                    Snake(r.Outcome.ToString()),
                    r.Error
                ))
                .ToList(),
            report.Found,
            report.Removed,
            report.Failed,
            report.Errors
        );

    private static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
