using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Store.Tests;

/// <summary>
/// What every store must do, run against each of them. Time is a <see cref="FakeTimeProvider"/>: leases expire
/// because the test moves the clock, never because it sleeps.
/// </summary>
public abstract partial class RunStoreConformance : IAsyncLifetime
{
    protected static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(30);
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();
    private int _runs;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected IRunStore Store { get; private set; } = null!;

    protected abstract Task<IRunStore> CreateStoreAsync();

    /// <summary>
    /// The lock store on the same database (the server opens both; its migrations make the lock tables).
    /// </summary>
    protected abstract Locks.ILockStore CreateLockStore();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.MigrateAsync(CancellationToken.None);
    }

    public virtual async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
    }

    protected async Task<Run> CreateRunAsync(
        TaskSpec? spec = null,
        int maxAttempts = 1,
        int tasks = 1,
        string kind = "command",
        string createdBy = "tester"
    )
    {
        spec ??= new TaskSpec { Command = ["true"] };
        var run = new Run
        {
            Id = $"run{Interlocked.Increment(ref _runs):D5}",
            Kind = kind,
            State = RunState.Starting,
            CreatedAt = Time.GetUtcNow(),
            Spec = spec,
            CreatedBy = createdBy,
        };
        var newTasks = Enumerable
            .Range(1, tasks)
            .Select(i => new NewTask($"{run.Id}-{i}", $"t{i}", spec, maxAttempts))
            .ToList();
        await Store.CreateRunAsync(run, newTasks, CancellationToken.None);
        return run;
    }

    protected Task<Lease?> ClaimAsync(string agent = "agent-a", IReadOnlyDictionary<string, string>? labels = null) =>
        Store.ClaimAsync(
            new ClaimRequest(agent, labels ?? NoLabels, Time.GetUtcNow(), LeaseTtl),
            CancellationToken.None
        );

    protected async Task<Run> GetAsync(string runId) => (await Store.GetRunAsync(runId, CancellationToken.None))!;

    protected async Task<RunTask> TaskOfAsync(string runId) => (await GetAsync(runId)).Tasks.Single();

    protected Task<WriteResult> CompleteAsync(Lease lease, int exitCode) =>
        Store.CompleteAsync(
            lease.TaskId,
            lease.Epoch,
            new TaskResult(exitCode),
            Time.GetUtcNow(),
            CancellationToken.None
        );

    protected Task<WriteResult> RunningAsync(Lease lease) =>
        Store.MarkRunningAsync(lease.TaskId, lease.Epoch, Time.GetUtcNow(), CancellationToken.None);

    protected Task<IReadOnlyList<string>> RescueAsync(int limit = 100) =>
        Store.RescueExpiredAsync(Time.GetUtcNow(), limit, CancellationToken.None);

    protected static IReadOnlyList<AgentLogLine> Lines(params string[] texts) =>
        texts.Select(t => new AgentLogLine(DateTimeOffset.UnixEpoch, LogStream.Stdout, t)).ToList();

    protected void Advance(TimeSpan by) => Time.Advance(by);
}
