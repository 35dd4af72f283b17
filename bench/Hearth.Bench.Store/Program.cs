using System.Diagnostics;
using Hearth.Bench.Store;
using Hearth.Core.Runs;
using Hearth.Store;
using Hearth.Store.Postgres;
using Hearth.Store.Sqlite;
using Npgsql;

// Usage: Hearth.Bench.Store sqlite [tasks] [claimers] [rounds]
//        Hearth.Bench.Store postgres "<connection string of an empty database>" [tasks] [claimers] [rounds]
var driver = args.ElementAtOrDefault(0) ?? "sqlite";
var rest = driver == "postgres" ? args.Skip(2).ToArray() : args.Skip(1).ToArray();
var tasks = int.Parse(rest.ElementAtOrDefault(0) ?? "2000");
var claimers = int.Parse(rest.ElementAtOrDefault(1) ?? "8");
var rounds = int.Parse(rest.ElementAtOrDefault(2) ?? "3");
var ct = CancellationToken.None;

IRunStore store;
IRawClaimLoop raw;
string? directory = null;
NpgsqlDataSource? dataSource = null;
if (driver == "postgres")
{
    var connectionString = args.ElementAtOrDefault(1)
        ?? throw new ArgumentException("postgres needs a connection string");
    store = new PostgresRunStore(connectionString, new Hearth.Lifecycle.LifecycleRules());
    dataSource = NpgsqlDataSource.Create(connectionString);
    raw = new PostgresRawClaimLoop(dataSource);
}
else
{
    directory = Directory.CreateTempSubdirectory("hearth-bench-").FullName;
    var path = Path.Combine(directory, "hearth.db");
    store = new SqliteRunStore(path, new Hearth.Lifecycle.LifecycleRules());
    raw = new SqliteRawClaimLoop(path);
}
await store.MigrateAsync(ct);

var spec = new TaskSpec { Command = ["true"] };
var batch = 0;
var prefix = Guid.NewGuid().ToString("N")[..6];
async Task FillAsync()
{
    batch++;
    var now = DateTimeOffset.UtcNow;
    // Ten tasks a run keeps creation cheap; the claim loop is what is measured.
    for (var i = 0; i < tasks; i += 10)
    {
        var run = new Run
        {
            Id = $"{prefix}-{batch}-{i:D6}",
            Kind = "command",
            State = RunState.Starting,
            CreatedAt = now,
            Spec = spec,
        };
        await store.CreateRunAsync(
            run,
            Enumerable
                .Range(0, Math.Min(10, tasks - i))
                .Select(t => new NewTask($"{run.Id}-{t}", "t", spec, 1))
                .ToList(),
            ct
        );
    }
}

async Task<double> MeasureAsync(Func<Task<int>> worker)
{
    await FillAsync();
    var clock = Stopwatch.StartNew();
    var done = (await Task.WhenAll(Enumerable.Range(0, claimers).Select(_ => Task.Run(worker)))).Sum();
    clock.Stop();
    if (done != tasks)
        throw new InvalidOperationException($"drained {done} of {tasks} tasks");
    return done / clock.Elapsed.TotalSeconds;
}

async Task<int> ApiWorkerAsync()
{
    var agent = Guid.NewGuid().ToString("N")[..8];
    var labels = new Dictionary<string, string>();
    var done = 0;
    while (
        await store.ClaimAsync(new ClaimRequest(agent, labels, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1)), ct)
            is { } lease
    )
    {
        var result = await store.CompleteAsync(lease.TaskId, lease.Epoch, new TaskResult(0), DateTimeOffset.UtcNow, ct);
        if (result.Status != WriteStatus.Accepted)
            throw new InvalidOperationException($"complete of {lease.TaskId}: {result.Status}");
        done++;
    }
    return done;
}

Console.WriteLine(
    $"driver={driver} tasks={tasks} claimers={claimers} rounds={rounds} cpus={Environment.ProcessorCount}"
);
var apiRates = new List<double>();
var rawRates = new List<double>();
for (var round = 0; round < rounds; round++)
{
    // Interleaved so that both loops see the same machine load and the same table size.
    apiRates.Add(await MeasureAsync(ApiWorkerAsync));
    rawRates.Add(await MeasureAsync(() => raw.DrainAsync(ct)));
    Console.WriteLine($"round {round + 1}: store API {apiRates[^1]:F0} tasks/s, raw SQL {rawRates[^1]:F0} tasks/s");
}
var api = apiRates.Order().ElementAt(rounds / 2);
var floor = rawRates.Order().ElementAt(rounds / 2);
Console.WriteLine($"median: store API {api:F0} tasks/s, raw SQL {floor:F0} tasks/s, ratio {api / floor:F2}");

if (store is IAsyncDisposable disposable)
    await disposable.DisposeAsync();
if (dataSource is not null)
    await dataSource.DisposeAsync();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
if (directory is not null)
    Directory.Delete(directory, recursive: true);
