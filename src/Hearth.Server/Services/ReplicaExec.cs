using Hearth.Core;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Store;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>
/// <c>hearth exec</c>: a command run in a running replica through its agent's driver exec, relayed by
/// <see cref="ExecRelay"/>; its lines are streamed to the caller as newline-delimited JSON, ending with its exit code.
/// Only admins and the project's creator may: a replica holds the project's secrets.
/// </summary>
public sealed class ReplicaExec(IServiceStore services, IRunStore store, ExecRelay relay, TimeProvider time)
{
    /// <summary>
    /// How long the replica's agent has to take the session (its exec poll) before the caller is told.
    /// </summary>
    public static readonly TimeSpan TakeTimeout = TimeSpan.FromSeconds(30);

    public async Task<IResult> RunAsync(
        string name,
        ExecBody body,
        Caller caller,
        HttpContext http,
        CancellationToken ct
    )
    {
        if (string.IsNullOrEmpty(body.Service))
            return ApiResults.Invalid("service: required");
        if (body.Command is not { Count: > 0 })
            return ApiResults.Invalid("command: required (the program and its arguments)");
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return ApiResults.NotFound($"no project named '{name}'");
        if (
            caller.Role != Roles.Admin
            && !string.Equals(project.CreatedBy, caller.Name, StringComparison.OrdinalIgnoreCase)
        )
            return ApiResults.Error(
                StatusCodes.Status403Forbidden,
                "NOT_OWNER",
                $"{caller.Name} may not exec into project '{name}': only its creator ({project.CreatedBy}) and admins may (a replica holds the project's secrets)"
            );
        if (project.Spec.Services.All(s => s.Name != body.Service))
            return ApiResults.NotFound($"project '{name}' has no service '{body.Service}'");
        RunTask? target = null;
        ReplicaRecord? chosen = null;
        foreach (
            var record in (await services.ListReplicasAsync(name, ct))
                .Where(r => r.Service == body.Service)
                .OrderBy(r => r.Replica)
        )
        {
            if (body.Replica is { } wanted && record.Replica != wanted)
                continue;
            var task = record.TaskId is { } id ? await store.GetTaskAsync(id, ct) : null;
            if (task is not { State: TaskState.Running, AgentId: not null })
                continue;
            (target, chosen) = (task, record);
            break;
        }
        if (target is null || chosen is null)
            return ApiResults.Error(
                StatusCodes.Status409Conflict,
                "NOT_RUNNING",
                body.Replica is { } n
                    ? $"{body.Service}-{n} is not running (see hearth ps -p {name})"
                    : $"no replica of {body.Service} is running (see hearth ps -p {name})"
            );

        var session = relay.Open(target.AgentId!, target.Id, target.Epoch, body.Command);
        try
        {
            try
            {
                await session.Taken.Task.WaitAsync(TakeTimeout, time, ct);
            }
            catch (TimeoutException)
            {
                return ApiResults.Error(
                    StatusCodes.Status504GatewayTimeout,
                    "AGENT_TIMEOUT",
                    $"the agent running {chosen.Service}-{chosen.Replica} did not take the exec within {TakeTimeout.TotalSeconds:0} s"
                );
            }
            var replica = $"{chosen.Service}-{chosen.Replica}";
            http.Response.ContentType = "application/x-ndjson; charset=utf-8";
            http.Response.Headers.CacheControl = "no-cache";
            await WriteAsync(http, new ExecEventView(Replica: replica), ct);
            await foreach (var output in session.Output.Reader.ReadAllAsync(ct))
            {
                foreach (var line in output.Lines)
                    await WriteAsync(http, new ExecEventView(line.Stream, line.Text), ct, flush: false);
                if (output.Done)
                {
                    await WriteAsync(http, new ExecEventView(ExitCode: output.ExitCode, Error: output.Error), ct);
                    return Results.Empty;
                }
                await http.Response.Body.FlushAsync(ct);
            }
            return Results.Empty;
        }
        finally
        {
            relay.Close(session);
        }
    }

    private static async Task WriteAsync(HttpContext http, ExecEventView e, CancellationToken ct, bool flush = true)
    {
        await http.Response.WriteAsync(HearthJson.Serialize(e) + "\n", ct);
        if (flush)
            await http.Response.Body.FlushAsync(ct);
    }
}
