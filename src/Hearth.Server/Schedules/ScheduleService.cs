using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Schedules;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.Creation;
using Hearth.Server.Secrets;
using Hearth.Server.Workflows;
using Hearth.Store;
using Hearth.Store.Access;
using Hearth.Store.Schedules;
using Hearth.Workflows.Execution;
using Hearth.Workflows.Schedules;

namespace Hearth.Server.Schedules;

/// <summary>
/// Stores schedules after the checks their runs would get (so a schedule never holds what its creator could not start
/// by hand) and fires them: each fire time becomes one run through the one creation path, as the schedule's creator,
/// under the idempotency key <c>schedule:ID:UNIX_MS</c>, so a fire time repeated (two servers, a crash before the
/// cursor moved) returns the run it made first.
/// </summary>
public sealed class ScheduleService(
    IScheduleStore schedules,
    RunService runs,
    WorkflowService workflows,
    IAccessStore access,
    RunAccess runAccess,
    DriverPolicy drivers,
    ImageDefaults images,
    LiveDrivers live,
    ServerOptions options,
    IdGenerator ids,
    TimeProvider time
)
{
    public async Task<IResult> CreateAsync(CreateScheduleBody body, Caller caller, CancellationToken ct)
    {
        var errors = new List<string>();
        if (body.Name is not { } name || !Core.Names.Names.Schedule.IsValid(name))
            errors.Add($"name: expected a {Core.Names.Names.Schedule.Kind} ({Core.Names.Names.Schedule.Expected})");
        ScheduleSpec? spec = null;
        if (body.Spec is null)
            errors.Add("spec: expected a cron spec such as \"15 3 * * *\", @daily or @every 1h");
        else if (!ScheduleSpecParser.TryParse(body.Spec, out spec, out var specError))
            errors.Add($"spec: {specError}");
        if (body.TimeZone is { } zone)
        {
            if (!ScheduleZones.TryResolve(zone, out _, out var zoneError))
                errors.Add($"time_zone: {zoneError}");
            else if (spec?.Zone is not null)
                errors.Add("time_zone: the spec has a TZ= prefix already; give the zone once");
            else if (spec?.Interval is not null)
                errors.Add("time_zone: has no meaning for @every (an interval counts from 1970-01-01T00:00:00Z)");
        }
        var missed = body.Missed switch
        {
            null or "skip" => MissedRunPolicy.Skip,
            "once" => MissedRunPolicy.Once,
            _ => (MissedRunPolicy?)null,
        };
        if (missed is null)
            errors.Add($"missed: expected skip or once, got '{body.Missed}'");
        if ((body.Workflow is null) == (body.Run is null))
            errors.Add("workflow, run: give exactly one (what the schedule starts)");
        if (errors.Count > 0)
            return ApiResults.Invalid(string.Join("; ", errors), errors);

        string target,
            payload;
        if (body.Workflow is { } plan)
        {
            var planErrors = PlanValidator.Validate(plan);
            if (planErrors.Count > 0)
                return ApiResults.Invalid(string.Join("; ", planErrors.Select(e => $"workflow: {e}")), planErrors);
            if (await runAccess.CheckAsync(caller, image: false, WorkflowSecrets(plan), ct) is { } refused)
                return refused;
            if (drivers.ForUnnamed(caller.Role).Refused is { } driverRefused)
                return driverRefused;
            (target, payload) = (ScheduleTargets.Workflow, HearthJson.Serialize(plan));
        }
        else
        {
            var run = await images.ApplyAsync(body.Run! with { IdempotencyKey = null }, ct);
            var (runSpec, _, runErrors) = RunRequestValidator.Validate(
                run,
                options.LostAgentAttempts,
                await live.ListAsync(ct)
            );
            if (runSpec is null)
                return ApiResults.Invalid(string.Join("; ", runErrors.Select(e => $"run.{e}")), runErrors);
            if (await runAccess.CheckAsync(caller, run.Image is not null, RunAccess.SecretsOf(run), ct) is { } refused)
                return refused;
            if (drivers.Apply(caller.Role, runSpec).Refused is { } driverRefused)
                return driverRefused;
            (target, payload) = (
                ScheduleTargets.Command,
                HearthJson.Serialize(body.Run! with { IdempotencyKey = null })
            );
        }

        var now = time.GetUtcNow();
        var record = new ScheduleRecord(
            ids.Next(),
            body.Name!,
            body.Spec!,
            body.TimeZone,
            missed!.Value,
            target,
            payload,
            caller.Name,
            now,
            now
        )
        {
            Source = body.Source,
        };
        if (!await schedules.CreateAsync(record, ct))
            return ApiResults.Error(
                StatusCodes.Status409Conflict,
                "CONFLICT",
                $"a schedule named '{record.Name}' exists; remove it first"
            );
        return ApiResults.Json(
            ScheduleViews.From((await schedules.GetAsync(record.Name, ct))!, now),
            StatusCodes.Status201Created
        );
    }

    /// <summary>
    /// Creates the run of one fire time as the schedule's creator, with that user's current role: a revoked user's
    /// schedule, or one whose driver the role no longer allows, creates nothing and says why.
    /// </summary>
    public async Task<(string? RunId, string? Error)> FireAsync(
        ScheduleRecord schedule,
        DateTimeOffset at,
        CancellationToken ct
    )
    {
        var owner = await access.GetUserAsync(schedule.CreatedBy, ct);
        if (owner is null || owner.RevokedAt is not null)
            return (
                null,
                $"not fired: its owner {schedule.CreatedBy} {(owner is null ? "no longer exists" : "was revoked")}"
            );
        var key = new IdempotencyKey(
            $"schedule:{schedule.Id}:{at.ToUnixTimeMilliseconds()}",
            Convert.ToHexStringLower(
                SHA256.HashData(Encoding.UTF8.GetBytes($"schedule\n{schedule.Target}\n{schedule.Payload}"))
            )
        );
        try
        {
            if (schedule.Target == ScheduleTargets.Workflow)
            {
                var plan = HearthJson.Deserialize<WorkflowPlan>(schedule.Payload)!;
                var (driver, refused) = drivers.ForUnnamed(owner.Role);
                if (refused is not null)
                    return (null, $"not fired: role '{owner.Role}' may no longer run unsandboxed or in a sandbox");
                var created = await workflows.CreateAsync(
                    plan,
                    owner.Email,
                    driver,
                    await CheckoutsAsync(plan, ct),
                    key,
                    ct
                );
                return (created.Run.Id, null);
            }
            var body = await images.ApplyAsync(HearthJson.Deserialize<CreateRunBody>(schedule.Payload)!, ct);
            var (spec, maxAttempts, errors) = RunRequestValidator.Validate(
                body,
                options.LostAgentAttempts,
                await live.ListAsync(ct)
            );
            if (spec is null)
                return (null, $"not fired: {string.Join("; ", errors)}");
            var (pinned, driverRefused) = drivers.Apply(owner.Role, spec);
            if (pinned is null)
                return (
                    null,
                    $"not fired: role '{owner.Role}' may no longer use driver '{spec.Driver ?? "(default)"}'"
                );
            var run = await runs.CreateCommandRunAsync(pinned, maxAttempts, owner.Email, key, ct);
            return (run.Run.Id, null);
        }
        catch (IdempotencyKeyReusedException reused)
        {
            return (reused.RunId, null);
        }
        catch (Store.Locks.LockBusyException busy)
        {
            return (null, $"not fired: {busy.Message}");
        }
    }

    /// <summary>The same "use" checks a workflow run's secrets get when it is started by hand.</summary>
    private static IEnumerable<SecretRequest> WorkflowSecrets(WorkflowPlan plan) =>
        plan
            .Steps.Where(s => s.Secrets is { Count: > 0 })
            .SelectMany(step =>
            {
                var notCode = plan.Repository is null
                    ? "it names no repository"
                    : RepositoryCode.Problem(["/bin/sh", "-c", step.Run ?? ""], image: false, plan.Variables.Keys);
                return step.Secrets!.Select(name => new SecretRequest(
                    name,
                    plan.Repository,
                    notCode is null ? null : $"step {step.Id}: {notCode}"
                ));
            })
            .ToList();

    private async Task<IReadOnlySet<string>> CheckoutsAsync(WorkflowPlan plan, CancellationToken ct)
    {
        var checkouts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in plan.Steps.Where(s => s.Secrets is { Count: > 0 }))
        {
            foreach (var name in step.Secrets!)
            {
                if (await access.GetSecretAsync(name, ct) is { Repositories.Count: > 0 })
                    checkouts.Add(step.Id);
            }
        }
        return checkouts;
    }
}
