using Hearth.Server.Background;
using Hearth.Server.Repositories;
using Hearth.Server.Secrets;
using Hearth.Store;
using Hearth.Store.Statuses;

namespace Hearth.Server.Statuses;

/// <summary>
/// Once a second on the leader: moves each tracked run's status forward when its run's state moved (pending → running →
/// success, failure, error or canceled), enqueuing the new status in the outbox, then sends the due statuses, oldest
/// first. A send that fails transiently (a connection error, 408, 429, 5xx, after the HTTP pipeline's own retries) is
/// tried again later with back-off, up to <see cref="MaxAttempts"/>; a 4xx, a missing token or a repository gone is
/// recorded as failed and never retried. Everything comes from the store, so a restart or a new leader loses nothing.
/// </summary>
public sealed class CommitStatusLoop(
    ICommitStatusStore statuses,
    IRunStore runs,
    RepositoryService repositories,
    IHttpClientFactory http,
    ILeaderLock leader,
    TimeProvider time,
    ILogger<CommitStatusLoop> logger
) : LeaderLoop(leader, time, logger, "commit statuses")
{
    public const int MaxAttempts = 12;
    public const int Batch = 100;
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override async Task TickAsync(CancellationToken ct)
    {
        await AdvanceAsync(ct);
        await SendDueAsync(ct);
    }

    /// <summary>
    /// Enqueues the next status of every tracked run whose run's state moved on; returns how many it enqueued.
    /// </summary>
    public async Task<int> AdvanceAsync(CancellationToken ct)
    {
        var moved = 0;
        foreach (var tracked in await statuses.ListOpenAsync(Batch * 10, ct))
        {
            var run = await runs.GetRunAsync(tracked.RunId, ct);
            var now = Time.GetUtcNow();
            if (run is null)
            {
                var gone = CommitStatusEntry.For(tracked, StatusPhase.Error, "Hearth: the run is gone", now);
                if (await statuses.AdvanceAsync(tracked.RunId, tracked.Reported, gone, ct))
                    moved++;
                continue;
            }
            var phase = CommitStatusService.PhaseOf(run.State);
            if (StatusPhase.Rank(phase) <= StatusPhase.Rank(tracked.Reported))
                continue;
            var next = CommitStatusEntry.For(tracked, phase, CommitStatusService.Describe(phase, run), now);
            if (await statuses.AdvanceAsync(tracked.RunId, tracked.Reported, next, ct))
                moved++;
        }
        return moved;
    }

    /// <summary>Sends every due status once; returns how many the forges accepted.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var sent = 0;
        foreach (var entry in await statuses.DueAsync(Time.GetUtcNow(), Batch, ct))
        {
            if (await SendAsync(entry, ct))
                sent++;
        }
        return sent;
    }

    private async Task<bool> SendAsync(CommitStatusEntry entry, CancellationToken ct)
    {
        var repository = await repositories.GetAsync(entry.Repository, ct);
        if (repository is null)
        {
            await statuses.MarkFailedAsync(
                entry.Id,
                Time.GetUtcNow(),
                $"repository {entry.Repository} was removed",
                ct
            );
            return false;
        }
        if (CommitStatusService.Unreported(repository) is { } why)
        {
            await statuses.MarkFailedAsync(entry.Id, Time.GetUtcNow(), why, ct);
            return false;
        }
        var api = StatusApi.Resolve(repository.Forge, repository.Url, repository.ApiUrl).Api!;
        string token;
        try
        {
            token = repositories.Access(repository).Token!;
        }
        catch (SecretUnavailableException e)
        {
            await statuses.MarkFailedAsync(entry.Id, Time.GetUtcNow(), e.Message, ct);
            return false;
        }
        string? transient;
        try
        {
            using var request = StatusRequests.Build(api, token, entry);
            using var response = await http.CreateClient(CommitStatusHttp.ClientName).SendAsync(request, ct);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await statuses.MarkSentAsync(entry.Id, Time.GetUtcNow(), ct);
                return true;
            }
            var detail = $"{api.Kind} answered {code}: {await Excerpt(response, ct)}";
            if (code is >= 400 and < 500 and not 408 and not 429)
            {
                logger.LogWarning(
                    "commit status {Status} for {Repository}: {Problem}; not retried",
                    entry.Id,
                    entry.Repository,
                    detail
                );
                await statuses.MarkFailedAsync(entry.Id, Time.GetUtcNow(), detail, ct);
                return false;
            }
            transient = detail;
        }
        catch (Exception e)
            when (e is HttpRequestException or TimeoutException or Polly.CircuitBreaker.BrokenCircuitException
                || (e is OperationCanceledException && !ct.IsCancellationRequested)
            )
        {
            transient = $"{api.Kind} unreachable: {e.Message}";
        }
        var attempts = entry.Attempts + 1;
        if (attempts >= MaxAttempts)
        {
            logger.LogWarning(
                "commit status {Status} for {Repository}: {Problem}; giving up after {Attempts} attempts",
                entry.Id,
                entry.Repository,
                transient,
                attempts
            );
            await statuses.MarkFailedAsync(
                entry.Id,
                Time.GetUtcNow(),
                $"{transient} (gave up after {attempts} attempts)",
                ct
            );
            return false;
        }
        var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(attempts - 1, 20)));
        await statuses.RetryLaterAsync(entry.Id, Time.GetUtcNow() + backoff, transient, ct);
        return false;
    }

    private static async Task<string> Excerpt(HttpResponseMessage response, CancellationToken ct)
    {
        var text = (await response.Content.ReadAsStringAsync(ct)).ReplaceLineEndings(" ").Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}
