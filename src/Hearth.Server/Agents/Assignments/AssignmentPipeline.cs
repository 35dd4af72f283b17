using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Api;
using Hearth.Server.Background;
using Hearth.Store;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// Completes a granted lease into the assignment handed to the agent: its steps run in order over a draft, then the
/// draft is mapped to the wire (<see cref="AssignmentMapper"/>). A step that fails ends the task failed, with a reason
/// naming the step and what was wrong, and the lease is not handed out; a step the database fails gives the lease back
/// (the task is claimed again), so a granted lease never waits for its expiry because of a step.
/// </summary>
public sealed class AssignmentPipeline(
    IReadOnlyList<IAssignmentStep> steps,
    IRunStore store,
    Signals signals,
    TimeProvider time,
    ILogger<AssignmentPipeline> logger
)
{
    public IReadOnlyList<IAssignmentStep> Steps => steps;

    /// <summary>The reason a task gets when <paramref name="step"/> failed it.</summary>
    public static string FailureReason(string step, string failure) => $"assignment step '{step}' failed: {failure}";

    /// <summary>
    /// The assignment for <paramref name="lease"/>, or null when it is not handed out (failed, given back or dropped).
    /// </summary>
    public async Task<Assignment?> CompleteAsync(Lease lease, CancellationToken ct)
    {
        var draft = new AssignmentDraft(lease);
        foreach (var step in steps)
        {
            StepOutcome outcome;
            try
            {
                outcome = await step.ApplyAsync(draft, ct);
            }
            catch (Exception e) when (DatabaseErrors.Map(e) is not null)
            {
                logger.LogWarning(
                    "task {Task}: assignment step {Step}: the database failed ({Error}); giving the lease back",
                    lease.TaskId,
                    step.Name,
                    e.Message
                );
                await GiveBackAsync(lease);
                return null;
            }
            catch (Exception e)
            {
                // A step's own bug must not leave the lease to expire (nor answer the agent 500): the task says what
                // broke.
                logger.LogError(e, "task {Task}: assignment step {Step} failed", lease.TaskId, step.Name);
                outcome = StepOutcome.Fail(e.Message);
            }
            if (outcome.Draft is { } next)
            {
                draft = next;
                continue;
            }
            if (outcome.Failure is { } failure)
                await FailAsync(lease, FailureReason(step.Name, failure));
            else
                logger.LogInformation(
                    "task {Task}: epoch {Epoch} is no longer current; not handing it out",
                    lease.TaskId,
                    lease.Epoch
                );
            return null;
        }
        return AssignmentMapper.ToAssignment(draft);
    }

    private async Task FailAsync(Lease lease, string reason)
    {
        logger.LogWarning("task {Task}: {Reason}; failing it", lease.TaskId, reason);
        try
        {
            await store.CompleteAsync(
                lease.TaskId,
                lease.Epoch,
                new TaskResult(null, Error: reason),
                time.GetUtcNow(),
                CancellationToken.None
            );
            signals.Pulse(SignalKeys.Run(lease.RunId));
        }
        catch (Exception e) when (DatabaseErrors.Map(e) is not null)
        {
            logger.LogError(
                "task {Task}: cannot record its failure ({Error}); its lease will expire and it is rescued",
                lease.TaskId,
                e.Message
            );
        }
    }

    private async Task GiveBackAsync(Lease lease)
    {
        try
        {
            await store.ReleaseAsync(lease.TaskId, lease.Epoch, CancellationToken.None);
            signals.Pulse(SignalKeys.Work);
        }
        catch (Exception e) when (DatabaseErrors.Map(e) is not null)
        {
            logger.LogError(
                "task {Task}: cannot give its lease back ({Error}); it expires and the task is rescued",
                lease.TaskId,
                e.Message
            );
        }
    }
}
