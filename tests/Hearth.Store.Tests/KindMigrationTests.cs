using System.Data.Common;
using Hearth.Core.Runs;
using Hearth.Store.Postgres;
using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hearth.Store.Tests;

/// <summary>
/// A store made before tasks had a kind column opens with every task given its kind: a workflow's tasks are steps,
/// any other run's task a command. The old rows are written by the migrations that came before, as an old server did.
/// </summary>
public abstract class KindMigrationTests
{
    protected static int BeforeKinds(IReadOnlyList<string> migrations) =>
        migrations
            .Select((sql, i) => (sql, i))
            .Single(m => m.sql.Contains("ADD COLUMN kind", StringComparison.Ordinal))
            .i;

    protected abstract Task<DbConnection> MigrateOldAsync();

    protected abstract IRunStore OpenStore();

    [Fact]
    public async Task Tasks_of_an_old_store_get_their_kind_from_their_run()
    {
        await using (var connection = await MigrateOldAsync())
        {
            foreach (
                var sql in new[]
                {
                    "INSERT INTO runs (id, kind, state, spec, created_at) VALUES ('aa01', 'command', 'Starting', '{\"command\":[\"true\"]}', 1);",
                    "INSERT INTO runs (id, kind, state, spec, created_at) VALUES ('bb02', 'workflow', 'Running', '{\"command\":[\"workflow\",\"w\"]}', 1);",
                    "INSERT INTO tasks (id, run_id, name, state, spec, requirements, attempt, max_attempts, queued_at) "
                        + "VALUES ('aa01-1', 'aa01', 'main', 'Pending', '{\"command\":[\"true\"]}', '{}', 1, 1, 1);",
                    "INSERT INTO tasks (id, run_id, name, state, spec, requirements, attempt, max_attempts, queued_at) "
                        + "VALUES ('bb02-s1', 'bb02', '1', 'Running', '{\"command\":[\"true\"]}', '{}', 1, 1, 1);",
                    "INSERT INTO log_lines (run_id, seq, attempt, stream, time, text, task_id) VALUES ('bb02', 0, 1, 1, 1, 'hello', 'bb02-s1');",
                    "UPDATE runs SET log_lines = 1 WHERE id = 'bb02';",
                }
            )
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
            }
        }

        var store = OpenStore();
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(TaskKind.Command, (await store.GetRunAsync("aa01", CancellationToken.None))!.Tasks.Single().Kind);
        Assert.Equal(
            TaskKind.WorkflowStep,
            (await store.GetRunAsync("bb02", CancellationToken.None))!.Tasks.Single().Kind
        );
        var line = Assert.Single(await store.ReadLogsAsync("bb02", 0, 10, CancellationToken.None));
        Assert.Equal("1", line.Step);
        if (store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
    }
}

public sealed class SqliteKindMigrationTests : KindMigrationTests, IDisposable
{
    private readonly string _path = Path.Combine(
        Directory.CreateTempSubdirectory("hearth-kinds-").FullName,
        "hearth.db"
    );

    protected override async Task<DbConnection> MigrateOldAsync()
    {
        var database = new SqliteDatabase(_path);
        await database.MigrateAsync(
            "schema_version",
            SqliteSchema.Migrations.Take(BeforeKinds(SqliteSchema.Migrations)).ToList(),
            CancellationToken.None
        );
        return await database.OpenAsync(CancellationToken.None);
    }

    protected override IRunStore OpenStore() => new SqliteRunStore(_path, new Hearth.Lifecycle.LifecycleRules());

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresKindMigrationTests(PostgresCluster cluster) : KindMigrationTests
{
    private string? _connectionString;

    protected override async Task<DbConnection> MigrateOldAsync()
    {
        _connectionString = await cluster.CreateDatabaseAsync();
        var database = new PostgresDatabase(_connectionString);
        await database.MigrateAsync(
            "schema_version",
            PostgresSchema.Migrations.Take(BeforeKinds(PostgresSchema.Migrations)).ToList(),
            AdvisoryLockKeys.Migrations,
            CancellationToken.None
        );
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    protected override IRunStore OpenStore() =>
        new PostgresRunStore(_connectionString!, new Hearth.Lifecycle.LifecycleRules());
}
