using System.Security.Cryptography;
using System.Text;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Server.Creation;
using Hearth.Store;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>
/// Asks GitLab for jobs (POST /jobs/request, long-polled by GitLab) for every stored runner, on the leader only, and
/// turns each job into a CI-job run through the one creation path, under an idempotency key made of the runner and the
/// job id, so a job handed out twice, or taken again after a crash, is one run. A job Hearth cannot run as asked is
/// failed in GitLab with the reason. Failed requests back off (doubling from the poll interval, up to a limit) on top
/// of the HTTP client's own retries.
/// </summary>
public sealed class GitLabPoller(
    IGitLabStore store,
    GitLabClient client,
    GitLabVault vault,
    GitLabReporter reporter,
    RunService runs,
    ILeaderLock leader,
    ServerOptions options,
    GitLabSignals signals,
    TimeProvider time,
    ILogger<GitLabPoller> logger
) : BackgroundService
{
    private sealed class RunnerState
    {
        public string? LastUpdate;
        public int Failures;
        public DateTimeOffset NextAt;
    }

    private readonly Dictionary<string, RunnerState> _states = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var pause = options.GitLab.PollInterval;
            try
            {
                if (await leader.CheckAsync(stoppingToken))
                    pause = await PollAllAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "GitLab poller failed; retrying");
            }
            try
            {
                // Woken (a Job Hook announced a job): every runner not backing off after failures asks at once.
                if (await signals.PollerWaitAsync(pause, stoppingToken))
                    foreach (var state in _states.Values.Where(s => s.Failures == 0))
                        state.NextAt = DateTimeOffset.MinValue;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One request per runner that is due; returns how long until the next is due.</summary>
    private async Task<TimeSpan> PollAllAsync(CancellationToken ct)
    {
        var runners = await store.ListRunnersAsync(ct);
        foreach (var gone in _states.Keys.Except(runners.Select(r => r.Name)).ToList())
            _states.Remove(gone);
        var now = time.GetUtcNow();
        var polls = new List<Task>();
        foreach (var runner in runners)
        {
            if (!_states.TryGetValue(runner.Name, out var state))
                _states[runner.Name] = state = new RunnerState();
            if (state.NextAt <= now)
                polls.Add(PollAsync(runner, state, ct));
        }
        await Task.WhenAll(polls);
        if (_states.Count == 0)
            return options.GitLab.PollInterval;
        var next = _states.Values.Min(s => s.NextAt) - time.GetUtcNow();
        return next < TimeSpan.Zero ? TimeSpan.Zero : next;
    }

    private async Task PollAsync(GitLabRunnerRecord runner, RunnerState state, CancellationToken ct)
    {
        var url = new Uri(runner.Url);
        string token;
        try
        {
            token = vault.OpenToken(runner);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or KeyNotFoundException)
        {
            logger.LogError(
                "GitLab runner {Runner}: its token cannot be decrypted with this server's secrets key ({Error})",
                runner.Name,
                e.Message
            );
            state.NextAt = time.GetUtcNow() + options.GitLab.MaxBackoff;
            return;
        }
        var answer = await client.RequestJobAsync(
            url,
            new JobRequest(
                GitLabRunnerInfo.Info,
                token,
                GitLabRunnerInfo.SystemId(runner.Name, runner.Url),
                state.LastUpdate
            ),
            ct
        );
        state.LastUpdate = answer.LastUpdate;
        if (answer.Error is { } error)
        {
            state.Failures++;
            var backoff = options.GitLab.PollInterval * Math.Pow(2, Math.Min(state.Failures, 10));
            state.NextAt =
                time.GetUtcNow() + (backoff > options.GitLab.MaxBackoff ? options.GitLab.MaxBackoff : backoff);
            logger.LogWarning(
                "GitLab runner {Runner}: job request failed ({Error}); next try in {Delay}",
                runner.Name,
                error,
                state.NextAt - time.GetUtcNow()
            );
            return;
        }
        state.Failures = 0;
        if (answer.Job is not { } job)
        {
            state.NextAt = time.GetUtcNow() + options.GitLab.PollInterval;
            return;
        }
        state.NextAt = time.GetUtcNow();
        await TakeAsync(runner, job, ct);
    }

    private async Task TakeAsync(GitLabRunnerRecord runner, JobResponse job, CancellationToken ct)
    {
        var (plan, refusal) = JobMapper.Map(job, runner, options.GitLab);
        var (keyId, cipher) = vault.SealJob(
            runner.Name,
            job.Id,
            plan?.Secrets ?? new GitLabJobSecrets(job.Token, job.Variables ?? [])
        );
        var record = new GitLabJobRecord(
            runner.Name,
            job.Id,
            null,
            keyId,
            cipher,
            0,
            GitLabJobStates.Running,
            time.GetUtcNow(),
            null
        );
        if (!await store.AddJobAsync(record, ct))
        {
            logger.LogInformation(
                "GitLab runner {Runner}: job {Job} was taken before; not taken again",
                runner.Name,
                job.Id
            );
            return;
        }
        logger.LogInformation(
            "GitLab runner {Runner}: took job {Job} ({Name})",
            runner.Name,
            job.Id,
            job.JobInfo?.Name
        );
        if (refusal is not null)
        {
            await reporter.RefuseAsync(runner, record, job, refusal, ct);
            return;
        }
        var key = $"gitlab:{runner.Name}:{job.Id}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        var spec = plan!.Spec;
        var created = await runs.CreateAsync(
            new RunDraft(RunKinds.CiJob, spec, CreatedBy(runner), id =>
                [new NewTask(TaskIds.ForCommand(id), "job", spec, MaxAttempts: 1) { Kind = TaskKind.CiJob }]
            )
            {
                Key = new IdempotencyKey(key, hash),
            },
            ct
        );
        await store.SetJobRunAsync(runner.Name, job.Id, created.Run.Id, ct);
        reporter.Track(runner, record with { RunId = created.Run.Id }, job.Features?.FailureReasons);
        signals.WakeReporter();
    }

    /// <summary>Who a CI job's run is created by: the runner, named as GitLab's.</summary>
    public static string CreatedBy(GitLabRunnerRecord runner) => $"gitlab:{runner.Name}";
}
