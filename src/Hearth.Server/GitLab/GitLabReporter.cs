using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>
/// Sends each taken job's trace to GitLab and, once its run ended, its final state, on the leader only. The trace is
/// the run's stored log lines (masked before they were stored), each ended by a newline: sent with PATCH
/// /jobs/:id/trace from the offset GitLab holds (a 416 answer moves the offset to GitLab's length and the rest is sent
/// again), no more often than GitLab's X-GitLab-Trace-Update-Interval asks. While nothing new is written, PUT /jobs/:id
/// with state running keeps the job alive and brings its Job-Status: a cancel in GitLab (canceling, canceled, or 403)
/// stops the run, whose job script runs after_script in its stop grace, and the job is reported canceled. The final PUT
/// carries success or failed with a failure reason GitLab knows, the exit code, and the trace's CRC32 and size.
/// </summary>
public sealed class GitLabReporter(
    IGitLabStore store,
    IRunStore runs,
    IServiceProvider services,
    GitLabClient client,
    GitLabVault vault,
    ILeaderLock leader,
    ServerOptions options,
    GitLabSignals signals,
    GitLabMetrics metrics,
    TimeProvider time,
    ILogger<GitLabReporter> logger
) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private const int Page = 5000;

    private sealed class Tracked(
        GitLabRunnerRecord runner,
        GitLabJobRecord job,
        string token,
        IReadOnlyList<string>? supported
    )
    {
        public GitLabRunnerRecord Runner { get; } = runner;
        public GitLabJobRecord Job { get; set; } = job;
        public string Token { get; } = token;
        public IReadOnlyList<string>? Supported { get; } = supported;
        public MemoryStream Trace { get; } = new();
        public long NextLine;
        public long Sent;
        public DateTimeOffset NextPatch;
        public DateTimeOffset NextTouch;
        public DateTimeOffset NextFinish;
        public bool Canceling;
        public JobRefusal? Refusal;
        public Uri Url => new(Runner.Url);
    }

    private readonly ConcurrentDictionary<(string Runner, long Job), Tracked> _jobs = new();
    private bool _loaded;

    /// <summary>Follows a job the poller just took (its run created).</summary>
    public void Track(GitLabRunnerRecord runner, GitLabJobRecord job, IReadOnlyList<string>? supportedReasons) =>
        _jobs[(runner.Name, job.JobId)] = new Tracked(runner, job, vault.OpenJob(job).Token, supportedReasons);

    /// <summary>
    /// Fails a job Hearth will not run: its trace says why, its state is failed with the reason's class.
    /// </summary>
    public Task RefuseAsync(
        GitLabRunnerRecord runner,
        GitLabJobRecord job,
        JobResponse response,
        JobRefusal refusal,
        CancellationToken ct
    )
    {
        var tracked = new Tracked(runner, job, response.Token, response.Features?.FailureReasons) { Refusal = refusal };
        tracked.Trace.Write(Encoding.UTF8.GetBytes($"ERROR: Job failed: {refusal.Reason}\n"));
        _jobs[(runner.Name, job.JobId)] = tracked;
        signals.WakeReporter();
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.CheckAsync(stoppingToken))
                {
                    if (!_loaded)
                        await LoadAsync(stoppingToken);
                    foreach (var tracked in _jobs.Values)
                        await StepAsync(tracked, stoppingToken);
                }
                else
                {
                    _jobs.Clear();
                    _loaded = false;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "GitLab reporter failed; retrying");
            }
            try
            {
                await signals.ReporterWaitAsync(Tick, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A new leader takes up the jobs still running: their traces are rebuilt from the store.</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        foreach (var job in await store.ListJobsAsync(GitLabJobStates.Running, ct))
        {
            if (job.RunId is null || _jobs.ContainsKey((job.RunnerName, job.JobId)))
                continue;
            if (await store.GetRunnerAsync(job.RunnerName, ct) is not { } runner)
                continue;
            _jobs[(runner.Name, job.JobId)] = new Tracked(runner, job, vault.OpenJob(job).Token, null)
            {
                Sent = job.TraceOffset,
            };
        }
        _loaded = true;
    }

    private async Task StepAsync(Tracked t, CancellationToken ct)
    {
        Run? run = null;
        if (t.Refusal is null)
        {
            // The run's state first: a run seen ended has all its lines stored (they come before its end).
            run = await runs.GetRunAsync(t.Job.RunId!, ct);
            if (run is null)
            {
                t.Refusal = new JobRefusal($"its Hearth run {t.Job.RunId} is gone", FailureReasons.System);
            }
            else
            {
                await ReadLinesAsync(t, ct);
            }
        }
        var ended = t.Refusal is not null || Transitions.Run.IsTerminal(run!.State);
        var now = time.GetUtcNow();
        if (t.Trace.Length > t.Sent && (ended || now >= t.NextPatch))
            await PatchAsync(t, run, ct);
        else if (!ended && now >= t.NextTouch)
            await TouchAsync(t, run, ct);
        if (ended && t.Sent >= t.Trace.Length && now >= t.NextFinish)
            await FinishAsync(t, run, ct);
    }

    private async Task ReadLinesAsync(Tracked t, CancellationToken ct)
    {
        while (true)
        {
            var lines = await runs.ReadLogsAsync(t.Job.RunId!, t.NextLine, Page, ct);
            foreach (var line in lines)
            {
                t.Trace.Write(Encoding.UTF8.GetBytes(line.Text));
                t.Trace.WriteByte((byte)'\n');
                t.NextLine = line.Seq + 1;
            }
            if (lines.Count < Page)
                return;
        }
    }

    private async Task PatchAsync(Tracked t, Run? run, CancellationToken ct)
    {
        var length = t.Trace.Length;
        var bytes = t.Trace.GetBuffer().AsMemory((int)t.Sent, (int)(length - t.Sent));
        var answer = await client.PatchTraceAsync(t.Url, t.Job.JobId, t.Token, t.Sent, bytes, ct);
        var now = time.GetUtcNow();
        t.NextPatch = now + (answer.UpdateInterval ?? options.GitLab.TraceInterval);
        t.NextTouch = t.NextPatch;
        switch (answer.Status)
        {
            case TracePatchStatus.Accepted:
                t.Sent = Math.Min(answer.RemoteOffset ?? length, length);
                await store.SetTraceOffsetAsync(t.Runner.Name, t.Job.JobId, t.Sent, ct);
                break;
            case TracePatchStatus.RangeMismatch:
                logger.LogInformation(
                    "GitLab job {Job}: GitLab holds {Remote} bytes of the trace, not {Sent}; sending from there",
                    t.Job.JobId,
                    answer.RemoteOffset,
                    t.Sent
                );
                t.Sent = Math.Clamp(answer.RemoteOffset ?? 0, 0, length);
                t.NextPatch = now;
                break;
            case TracePatchStatus.Abort:
                await CancelAsync(t, run, ct);
                // GitLab takes no more of this job's trace.
                t.Sent = length;
                break;
            case TracePatchStatus.NotFound:
                await EndAsync(t, "gone", ct);
                return;
            default:
                logger.LogWarning(
                    "GitLab job {Job}: the trace could not be sent ({Error}); trying again",
                    t.Job.JobId,
                    answer.Error
                );
                break;
        }
        if (IsCancel(answer.JobStatus))
            await CancelAsync(t, run, ct);
    }

    private async Task TouchAsync(Tracked t, Run? run, CancellationToken ct)
    {
        var answer = await client.UpdateJobAsync(t.Url, t.Job.JobId, Update(t, "running", null, null), ct);
        t.NextTouch = time.GetUtcNow() + (answer.UpdateInterval ?? options.GitLab.TraceInterval);
        if (answer.Status == JobUpdateStatus.Abort || IsCancel(answer.JobStatus))
            await CancelAsync(t, run, ct);
        else if (answer.Status == JobUpdateStatus.NotFound)
            await EndAsync(t, "gone", ct);
    }

    private async Task CancelAsync(Tracked t, Run? run, CancellationToken ct)
    {
        if (t.Canceling || run is null || Transitions.Run.IsTerminal(run.State))
            return;
        t.Canceling = true;
        logger.LogInformation("GitLab job {Job} was canceled in GitLab; stopping run {Run}", t.Job.JobId, run.Id);
        await services
            .GetRequiredService<RunService>()
            .StopAsync(run.Id, StopReason.Killed, ct, by: "GitLab (job canceled)");
    }

    private async Task FinishAsync(Tracked t, Run? run, CancellationToken ct)
    {
        var (state, reason, exitCode) = Outcome(t, run);
        var answer = await client.UpdateJobAsync(t.Url, t.Job.JobId, Update(t, state, reason, exitCode), ct);
        switch (answer.Status)
        {
            case JobUpdateStatus.Succeeded:
            case JobUpdateStatus.Abort:
            case JobUpdateStatus.NotFound:
                await EndAsync(t, state, ct);
                break;
            case JobUpdateStatus.TraceValidationFailed:
                logger.LogWarning(
                    "GitLab job {Job}: GitLab's trace does not match its checksum; sending it all again",
                    t.Job.JobId
                );
                t.Sent = 0;
                break;
            default:
                t.NextFinish = time.GetUtcNow() + (answer.UpdateInterval ?? options.GitLab.TraceInterval);
                break;
        }
    }

    /// <summary>The job's state for GitLab, from how its run ended.</summary>
    private static (string State, string? Reason, int? ExitCode) Outcome(Tracked t, Run? run)
    {
        if (t.Refusal is { } refusal)
            return ("failed", FailureReasons.Pick(refusal.FailureReason, t.Supported), null);
        return run!.State switch
        {
            RunState.Succeeded => ("success", null, 0),
            RunState.Stopped when t.Canceling => ("canceled", null, run.ExitCode),
            RunState.TimedOut => ("failed", FailureReasons.Pick(FailureReasons.Timeout, t.Supported), run.ExitCode),
            RunState.Failed when run.ExitCode is { } code => (
                "failed",
                FailureReasons.Pick(FailureReasons.Script, t.Supported),
                code
            ),
            _ => ("failed", FailureReasons.Pick(FailureReasons.System, t.Supported), run.ExitCode),
        };
    }

    private UpdateJobRequest Update(Tracked t, string state, string? reason, int? exitCode)
    {
        var bytes = t.Trace.GetBuffer().AsSpan(0, (int)t.Trace.Length);
        var checksum =
            "crc32:" + System.IO.Hashing.Crc32.HashToUInt32(bytes).ToString("x8", CultureInfo.InvariantCulture);
        return new UpdateJobRequest(
            GitLabRunnerInfo.Info,
            t.Token,
            state,
            reason,
            exitCode,
            checksum,
            new JobTraceOutput(checksum, bytes.Length)
        );
    }

    private async Task EndAsync(Tracked t, string state, CancellationToken ct)
    {
        await store.EndJobAsync(t.Runner.Name, t.Job.JobId, time.GetUtcNow(), ct);
        _jobs.TryRemove((t.Runner.Name, t.Job.JobId), out _);
        metrics.JobEnded(state, time.GetUtcNow() - t.Job.CreatedAt);
        logger.LogInformation("GitLab job {Job}: reported {State}", t.Job.JobId, state);
    }

    private static bool IsCancel(string? jobStatus) => jobStatus is "canceling" or "canceled";
}
