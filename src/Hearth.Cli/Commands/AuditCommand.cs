using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>hearth audit [--actor] [--since] and hearth trace REQUEST_ID.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var actor = new Option<string?>("--actor") { Description = "Only requests by this user (email, or admin)" };
        var since = new Option<string?>("--since")
        {
            Description = "Only requests since a duration ago (1h, 30m) or a time (2025-01-31T12:00:00Z)",
        };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "At most this many entries, newest first (0 = all)",
            DefaultValueFactory = _ => 100,
        };
        var command = new Command("audit", "Show the audit trail of mutating requests (admins)")
        {
            actor,
            since,
            limit,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var query = $"api/v1/audit?limit={result.GetValue(limit)}";
                if (result.GetValue(actor) is { } a)
                    query += "&actor=" + Uri.EscapeDataString(a);
                if (result.GetValue(since) is { } s)
                    query += "&since=" + Uri.EscapeDataString(s);
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<AuditListView>(HttpMethod.Get, query, null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(list);
                else
                    Table(list.Entries);
                return 0;
            }
        );
        return command;
    }

    public static Command CreateTrace()
    {
        var requestId = new Argument<string>("request-id")
        {
            Description = "An X-Request-ID, as shown by hearth audit",
        };
        var command = new Command(
            "trace",
            "Show what one request did: its audit entries and the records it created or changed (admins)"
        )
        {
            requestId,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var trace = await client.SendJsonAsync<TraceView>(
                    HttpMethod.Get,
                    $"api/v1/trace/{Uri.EscapeDataString(result.GetValue(requestId)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(trace);
                    return 0;
                }
                Table(trace.Entries);
                foreach (var run in trace.Runs)
                    Console.Out.WriteLine(
                        $"run {run.Id}: {Output.State(run.Status)}, by {run.CreatedBy}, {run.CommandSummary}"
                    );
                foreach (var secret in trace.Secrets)
                    Console.Out.WriteLine($"secret {secret.Name}: ${secret.EnvName}, owner {secret.CreatedBy}");
                foreach (var user in trace.Users)
                    Console.Out.WriteLine($"user {user.Email}: {user.Role}{(user.Revoked ? ", revoked" : "")}");
                return 0;
            }
        );
        return command;
    }

    private static void Table(IReadOnlyList<AuditEntryView> entries) =>
        Output.Table(
            ["TIME", "REQUEST", "ACTOR", "ACTION", "TARGET", "STATUS", "RESULT", "CLIENT"],
            entries.Select(e =>
                (IReadOnlyList<string>)
                    [
                        e.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"),
                        e.RequestId,
                        e.Actor,
                        e.Action,
                        e.Target ?? "-",
                        e.Status.ToString(),
                        e.Result,
                        e.ClientAddress,
                    ]
            )
        );
}
