using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>hearth locks list | status NAME | release NAME --force.</summary>
public static class LocksCommand
{
    public static Command Create()
    {
        var command = new Command("locks", "Cluster-wide locks: who holds them, who waits, and forced release");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Release());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List locks with a holder, a queue or a history");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<LockListView>(HttpMethod.Get, "api/v1/locks", null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["NAME", "HOLDER", "SINCE", "TOKEN", "WAITING"],
                    list.Locks.Select(l =>
                        (IReadOnlyList<string>)
                            [
                                l.Name,
                                l.Holder ?? "-",
                                l.Since?.ToString("u") ?? "-",
                                l.Token.ToString(),
                                l.Queue.Count.ToString(),
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Status()
    {
        var name = new Argument<string>("name") { Description = "Lock name" };
        var command = new Command("status", "Show a lock's holder, since when, its token and its queue") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<LockView>(
                    HttpMethod.Get,
                    $"api/v1/locks/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Print(view);
                return 0;
            }
        );
        return command;
    }

    private static Command Release()
    {
        var name = new Argument<string>("name") { Description = "Lock name" };
        var force = new Option<bool>("--force")
        {
            Description = "Required: take the lock from its holder (admin; audited). The holder's token becomes stale.",
        };
        var command = new Command("release", "Force a lock free and grant it to the next in line") { name, force };
        command.SetAction(
            async (result, ct) =>
            {
                if (!result.GetValue(force))
                    throw new CliException("release takes a lock from a live holder: confirm with --force", 2);
                using var client = CommonOptions.Client(result);
                var answer = await client.SendJsonAsync<ReleasedLockView>(
                    HttpMethod.Post,
                    $"api/v1/locks/{Uri.EscapeDataString(result.GetValue(name)!)}/release",
                    new ReleaseLockBody(true),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(answer);
                    return 0;
                }
                Console.Error.WriteLine(
                    $"hearth: lock {answer.Released.Name} released (was held by {answer.Released.Holder ?? "nobody"}, token {answer.Released.Token})"
                );
                Print(answer.Now);
                return 0;
            }
        );
        return command;
    }

    private static void Print(LockView view)
    {
        Console.Out.WriteLine($"{"NAME", -8} {view.Name}");
        Console.Out.WriteLine($"{"HOLDER", -8} {view.Holder ?? "-"}");
        Console.Out.WriteLine($"{"SINCE", -8} {view.Since?.ToString("u") ?? "-"}");
        Console.Out.WriteLine($"{"TOKEN", -8} {view.Token}");
        Console.Out.WriteLine($"{"LEASE", -8} {view.LeaseExpiresAt?.ToString("u") ?? "-"}");
        Console.Out.WriteLine($"{"QUEUE", -8} {(view.Queue.Count == 0 ? "-" : view.Queue.Count.ToString())}");
        foreach (var waiter in view.Queue)
            Console.Out.WriteLine(
                $"  {waiter.Position, 3}. {waiter.RunId} since {waiter.QueuedAt:u}{(waiter.Deadline is { } d ? $", gives up at {d:u}" : "")}"
            );
    }
}
