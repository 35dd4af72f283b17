using Hearth.Core.Runs;
using Hearth.Server.Repositories;
using Hearth.Store;
using Hearth.Store.Repositories;
using Hearth.Store.Statuses;

namespace Hearth.Server.Statuses;

/// <summary>
/// Starts reporting a repository-started run's commit status: its first status (pending) goes into the outbox right
/// after the run is created, before the delivery is answered, and <see cref="CommitStatusLoop"/> does the rest.
/// Tracking is idempotent (keyed by the run), so a forge's retry of a delivery whose answer was lost tracks it again.
/// </summary>
public sealed class CommitStatusService(ICommitStatusStore store, IRunStore runs, TimeProvider time)
{
    public const string ContextPrefix = "hearth/";

    /// <summary>Why a repository gets no statuses (no token, no API), or null when it does.</summary>
    public static string? Unreported(RepositoryRecord repository) =>
        repository.Token is null
            ? "no token (--token-file) to send commit statuses with"
            : StatusApi.Resolve(repository.Forge, repository.Url, repository.ApiUrl).Problem;

    /// <summary>
    /// Tracks each run (a workflow run with a commit) of the repository; <paramref name="runsUrl"/> + id is each
    /// status's link.
    /// </summary>
    public async Task TrackAsync(
        RepositoryRecord repository,
        IEnumerable<string> runIds,
        string runsUrl,
        CancellationToken ct
    )
    {
        if (Unreported(repository) is not null)
            return;
        foreach (var id in runIds)
        {
            if (await runs.GetRunAsync(id, ct) is not { Plan: { } plan } run)
                continue;
            if (!plan.Variables.TryGetValue("COMMIT_SHA", out var sha) || sha.Length == 0)
                continue;
            var now = time.GetUtcNow();
            var tracked = new TrackedRun(
                id,
                repository.Name,
                sha,
                ContextPrefix + plan.Name,
                runsUrl.TrimEnd('/') + "/" + id,
                StatusPhase.Pending,
                now
            );
            await store.TrackAsync(
                tracked,
                CommitStatusEntry.For(tracked, StatusPhase.Pending, Describe(StatusPhase.Pending, run), now),
                ct
            );
        }
    }

    /// <summary>
    /// The phase a run's state is reported as: a run starting is pending, running or stopping is running.
    /// </summary>
    public static string PhaseOf(RunState state) =>
        state switch
        {
            RunState.Starting => StatusPhase.Pending,
            RunState.Running or RunState.Terminating => StatusPhase.Running,
            RunState.Succeeded => StatusPhase.Success,
            RunState.Failed => StatusPhase.Failure,
            RunState.TimedOut => StatusPhase.Error,
            _ => StatusPhase.Canceled,
        };

    public static string Describe(string phase, Run run) =>
        phase switch
        {
            StatusPhase.Pending => "Hearth: queued",
            StatusPhase.Running => "Hearth: running",
            StatusPhase.Success => "Hearth: succeeded",
            StatusPhase.Canceled => "Hearth: stopped" + (run.Reason is { Length: > 0 } r ? ": " + r : ""),
            _ => (phase == StatusPhase.Error ? "Hearth: error" : "Hearth: failed")
                + (run.Reason is { Length: > 0 } reason ? ": " + reason : ""),
        };

    /// <summary>
    /// The link of a run's status: the server's workflow run resource, as the forge's request reached it.
    /// </summary>
    public static string RunsUrl(HttpRequest request) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/api/v1/workflows/runs";
}
